#!/usr/bin/env bash
# The live dashboard under load: the four services as separate processes (release build) under
# `wrk` POST /orders, once without watchers and once with WATCHERS WebSocket clients
# (scripts/bench/dashboard-watchers.py, Python asyncio with `websockets`) on the dashboard's
# /live feed, in the same run. Reports the pipeline's accepted orders per second both ways (the
# watchers should cost it nothing: they read one sampler's updates, not Redis or the broker),
# the dashboard's CPU and peak RSS both ways, and the watchers' update latency (sampler's reading
# to arrival) and updates per watcher per second.
#
#   scripts/bench/dashboard.sh [DURATION=20s] [WATCHERS=1000]
#
# Servers of its own: Redis on DASHBOARD_BENCH_REDIS_PORT (16588), RabbitMQ on
# DASHBOARD_BENCH_AMQP_PORT (5788, node dashbench@localhost), stopped afterwards if it started
# them; HTTP ports from DASHBOARD_BENCH_BASE_PORT (18280). Installs wrk, curl and redis-tools
# with apt-get, and websockets into .local/dashboard-test-venv, when missing (as root).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

DURATION="${1:-20s}"
WATCHERS="${2:-1000}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
BASE_PORT="${DASHBOARD_BENCH_BASE_PORT:-18280}"
LUA="$ROOT/Benchmarks/peers/wrk/orders.lua"
venv=.local/dashboard-test-venv
say() { echo "dashboard-bench: $*" >&2; }

. scripts/lib/bench.sh
bench_need wrk:wrk redis-tools:redis-cli curl:curl python3-venv
if [[ ! -x "$venv/bin/python" ]]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -c 'import websockets' 2>/dev/null || "$venv/bin/python" -m pip install -q --disable-pip-version-check 'websockets>=13'

. scripts/lib/services.sh
WORK="$(mktemp -d)"
WATCHERS_PID=""
cleanup() {
    [[ -z "$WATCHERS_PID" ]] || kill "$WATCHERS_PID" 2>/dev/null || true
    services_cleanup
    rm -rf "$WORK"
}
trap cleanup EXIT

services_servers dashbench "${DASHBOARD_BENCH_REDIS_PORT:-16588}" "${DASHBOARD_BENCH_AMQP_PORT:-5788}"
say "building release products"
services_build release
services_ports "$BASE_PORT"
redis-cli -p "$REDIS_PORT" SET inventory:bench-sku 1000000000 >/dev/null
services_start gateway processor notifier dashboard
services_wait_ready "$GATEWAY_PORT" "$DASHBOARD_PORT" "$PROCESSOR_PORT" "$NOTIFIER_PORT"
DASHBOARD_PID="${SERVICE_PID[dashboard]}"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
TICKS="$(getconf CLK_TCK)"

# load NAME: wrk for DURATION; prints "accepted_per_s p50_ms p99_ms dashboard_cpu_percent dashboard_rss_peak_kb".
load() {
    local name="$1" before after seconds peak=0 rss
    before="$(cpu_ticks "$DASHBOARD_PID")"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "http://127.0.0.1:$GATEWAY_PORT/orders" -- "$name$(date +%s%N)" >"$WORK/$name.wrk" 2>&1 &
    local wrk_pid=$!
    while kill -0 "$wrk_pid" 2>/dev/null; do
        rss="$(rss_kb "$DASHBOARD_PID")"
        ((rss > peak)) && peak=$rss
        sleep 0.5
    done
    wait "$wrk_pid"
    after="$(cpu_ticks "$DASHBOARD_PID")"
    awk -v before="$before" -v after="$after" -v ticks="$TICKS" -v peak="$peak" '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        / requests in / { requests = $1; seconds = $4; sub(/s,?$/, "", seconds) }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
        END { printf "%.0f %.2f %.2f %.1f %d\n", (requests - non2xx) / seconds, p50, p99, 100 * (after - before) / ticks / seconds, peak }' "$WORK/$name.wrk"
}

say "idle dashboard RSS: $(rss_kb "$DASHBOARD_PID") kB"
say "run 1: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, no watchers"
read -r base_rate base_p50 base_p99 base_cpu base_rss < <(load without)
say "  $base_rate accepted/s, p50 $base_p50 ms, p99 $base_p99 ms; dashboard CPU $base_cpu %, RSS peak $base_rss kB"

say "opening $WATCHERS watchers"
"$venv/bin/python" scripts/bench/dashboard-watchers.py "ws://127.0.0.1:$DASHBOARD_PORT/live" "$WATCHERS" "$WORK/ready" "$WORK/stop" "$WORK/watchers.json" \
    2>"$WORK/watchers.log" &
WATCHERS_PID=$!
for ((i = 0; i < 1200; i++)); do [[ -s "$WORK/ready" ]] && break; kill -0 "$WATCHERS_PID" 2>/dev/null || { cat "$WORK/watchers.log" >&2; exit 1; }; sleep 0.1; done
[[ -s "$WORK/ready" ]] || { say "watchers did not connect within 120 s"; exit 1; }
say "  $(cat "$WORK/ready") of $WATCHERS connected; dashboard RSS $(rss_kb "$DASHBOARD_PID") kB"
say "run 2: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $WATCHERS watchers"
read -r watched_rate watched_p50 watched_p99 watched_cpu watched_rss < <(load with)
touch "$WORK/stop"
wait "$WATCHERS_PID"
WATCHERS_PID=""
say "  $watched_rate accepted/s, p50 $watched_p50 ms, p99 $watched_p99 ms; dashboard CPU $watched_cpu %, RSS peak $watched_rss kB"
summary="$(cat "$WORK/watchers.json")"
say "watchers: $summary"

field() { "$venv/bin/python" -c 'import json, sys; v = json.loads(sys.argv[1]); [v := v[k] for k in sys.argv[2].split(".")]; print(v)' "$summary" "$1"; }
printf '\n| | no watchers | %s watchers |\n| --- | --- | --- |\n' "$WATCHERS"
printf '| pipeline accepted/s | %s | %s |\n' "$base_rate" "$watched_rate"
printf '| POST /orders p50 / p99 | %s / %s ms | %s / %s ms |\n' "$base_p50" "$base_p99" "$watched_p50" "$watched_p99"
printf '| dashboard CPU | %s %% | %s %% |\n' "$base_cpu" "$watched_cpu"
printf '| dashboard RSS peak | %s MiB | %s MiB |\n' "$((base_rss / 1024))" "$((watched_rss / 1024))"
printf '| update latency p50 / p99 / max | | %s / %s / %s ms |\n' "$(field latency_ms.p50)" "$(field latency_ms.p99)" "$(field latency_ms.max)"
printf '| updates per watcher per s (snapshots, ticks) | | %s (%s, %s) |\n' "$(field updates_per_client_per_s)" "$(field snapshots)" "$(field ticks)"
printf '| watchers connected / still open / errors | | %s / %s / %s |\n\n' "$(field connected)" "$(field still_open)" "$(field error_count)"
bench_result dashboard-watchers-throughput "$watched_rate" no-watchers "$base_rate" accepted/s higher
