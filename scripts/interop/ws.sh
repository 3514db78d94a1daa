#!/usr/bin/env bash
# WebSocket interop: Python's `websockets` library (PyPI) as the client of a loopback echo server
# built from TCPListener, the handshake and the codec (WebSocketEchoInteropTests): text, binary,
# fragmented and ping messages, a clean close, origin and version refusals, and the close codes of
# protocol violations (scripts/interop/ws-client.py).
#
# The library goes into a virtual environment under .local/ (scripts/lib/install.sh), so the
# system Python is left alone. Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/install.sh

venv=.local/ws-interop-venv
install_venv "$venv" 'websockets>=13'
echo "websockets $("$venv/bin/python" -c 'import websockets; print(websockets.__version__)')"

swift build --build-tests >/dev/null
WEBSOCKET_INTEROP_PYTHON="$PWD/$venv/bin/python" swift test --skip-build --filter WebSocketEchoInteropTests
