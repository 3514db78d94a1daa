#!/usr/bin/env bash
# The live dashboard in real clients (scripts/interop/dashboard-check.py): Python's `websockets`
# client on its WebSocket feed, then headless Chromium driven by Selenium on the page: no console
# errors, orders posted to the gateway show in the counters and the feed within 2 s, the page
# reconnects by itself after the dashboard process restarts, and a screenshot is saved as
# .local/artifacts/dashboard.png (ARTIFACTS moves it).
#
# It runs the four services as separate processes (debug build) against a Redis and a RabbitMQ
# node of its own (DASHBOARD_TEST_REDIS_PORT 16587, DASHBOARD_TEST_AMQP_PORT 5787, node
# dashtest@localhost; started through scripts/servers.sh and stopped afterwards if it started
# them), with HTTP ports from DASHBOARD_TEST_BASE_PORT (18180: gateway, +1 dashboard, +2
# processor, +3 notifier). Installs what it needs as root: Debian's chromium and chromium-driver,
# python3-venv, and websockets and selenium from PyPI into .local/dashboard-test-venv.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

BASE_PORT="${DASHBOARD_TEST_BASE_PORT:-18180}"
export ARTIFACTS="${ARTIFACTS:-$ROOT/.local/artifacts}"
venv=.local/dashboard-test-venv
say() { echo "dashboard: $*" >&2; }

apt_install() {
    [[ $EUID == 0 ]] || { say "missing $*: install them (apt-get install $*) or run as root"; exit 1; }
    say "installing $*"
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } >/dev/null
}
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v python3 >/dev/null || missing+=(python3)
command -v curl >/dev/null || missing+=(curl)
command -v redis-cli >/dev/null || missing+=(redis-tools)
((${#missing[@]} == 0)) || apt_install "${missing[@]}"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" >/dev/null 2>&1 || { rm -rf "$venv"; apt_install python3-venv; python3 -m venv "$venv"; }
fi
if ! "$venv/bin/python" -c 'import websockets.sync.client, selenium' 2>/dev/null; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check 'websockets>=13' 'selenium>=4.10'
fi
say "$(chromium --version 2>/dev/null | head -n 1), selenium $("$venv/bin/python" -c 'import selenium; print(selenium.__version__)')"

. scripts/lib/services.sh
cleanup() {
    local status=$?
    ((status == 0)) || { say "service logs:"; tail -n 15 "$SERVICES_LOGS"/*.log >&2 || true; }
    services_cleanup
    exit "$status"
}
trap cleanup EXIT

services_servers dashtest "${DASHBOARD_TEST_REDIS_PORT:-16587}" "${DASHBOARD_TEST_AMQP_PORT:-5787}"
say "building the services"
services_build debug
services_ports "$BASE_PORT"
redis-cli -p "$REDIS_PORT" MSET inventory:ABC 100000 inventory:XYZ 5000 >/dev/null
services_start gateway processor notifier
services_wait_ready "$GATEWAY_PORT" "$PROCESSOR_PORT" "$NOTIFIER_PORT"
mkdir -p "$ARTIFACTS"
DASHBOARD_BIN="$SERVICES_BIN/order-dashboard" "$venv/bin/python" scripts/interop/dashboard-check.py
