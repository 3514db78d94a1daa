#!/usr/bin/env bash
# WebSocket interop: Python's `websockets` library (PyPI) as the client of a loopback echo server
# built from TCPListener, the handshake and the codec (WebSocketEchoInteropTests): text, binary,
# fragmented and ping messages, a clean close, origin and version refusals, and the close codes of
# protocol violations (scripts/interop/ws-client.py).
#
# The library goes into a virtual environment under .local/ (created when missing, with Debian's
# python3-venv installed as root when the interpreter lacks venv), so the system Python is left
# alone. Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.local/ws-interop-venv
if ! command -v python3 >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null
fi
if [[ ! -x "$venv/bin/python" ]]; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    fi
fi
if ! "$venv/bin/python" -c 'import websockets.sync.client' 2>/dev/null; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check 'websockets>=13'
fi
echo "websockets $("$venv/bin/python" -c 'import websockets; print(websockets.__version__)')"

swift build --build-tests >/dev/null
WEBSOCKET_INTEROP_PYTHON="$PWD/$venv/bin/python" swift test --skip-build --filter WebSocketEchoInteropTests
