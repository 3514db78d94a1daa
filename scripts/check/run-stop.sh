#!/usr/bin/env bash
# Checks that scripts/run.sh can be stopped by its pid: starts it on a Redis, a RabbitMQ node and
# HTTP ports of its own, waits until the gateway is ready, sends SIGTERM to run.sh's pid (as
# `kill PID` or a supervisor does), and checks that the pipeline exits cleanly and its four HTTP
# ports are free again; then starts it once more on the same ports and stops it with SIGINT (as
# Ctrl-C does). Stops the servers it started. Exits non-zero when a check fails.
#
# Environment: RUN_CHECK_REDIS_PORT [16671], RUN_CHECK_AMQP_PORT [5771],
# RUN_CHECK_HTTP_PORT [18671] (the gateway's; the other services take the next three),
# RUN_CHECK_TIMEOUT [900] seconds to wait for the pipeline to be ready (run.sh builds it first).
set -euo pipefail
cd "$(dirname "$0")/../.."

export REDIS_PORT="${RUN_CHECK_REDIS_PORT:-16671}" AMQP_PORT="${RUN_CHECK_AMQP_PORT:-5771}" RABBITMQ_NODE=runcheck@localhost
http="${RUN_CHECK_HTTP_PORT:-18671}"
export GATEWAY_PORT=$http DASHBOARD_PORT=$((http + 1)) PROCESSOR_PORT=$((http + 2)) NOTIFIER_PORT=$((http + 3))
timeout="${RUN_CHECK_TIMEOUT:-900}"
work="$(mktemp -d)"
pid=""
SERVERS_STARTED=""

cleanup() {
    local status=$?
    [[ -z "$pid" ]] || kill -KILL "$pid" 2>/dev/null || true
    # shellcheck disable=SC2086 # a list of names
    [[ -z "$SERVERS_STARTED" ]] || scripts/servers.sh stop $SERVERS_STARTED 2>/dev/null || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

fail() {
    echo "run-stop: FAIL: $*" >&2
    [[ ! -s "$work/run.log" ]] || { echo "run-stop: the end of run.sh's output:" >&2; tail -n 20 "$work/run.log" >&2; }
    exit 1
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# start: runs scripts/run.sh in the background and waits until the gateway is ready.
start() {
    scripts/run.sh >"$work/run.log" 2>&1 &
    pid=$!
    local deadline=$((SECONDS + timeout))
    until curl -fs "http://127.0.0.1:$GATEWAY_PORT/readyz" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || fail "scripts/run.sh exited before the gateway was ready"
        ((SECONDS < deadline)) || fail "the gateway was not ready within $timeout s"
        sleep 0.5
    done
}

# stop SIGNAL: sends SIGNAL to run.sh's pid and checks the pipeline exits cleanly, freeing its ports.
stop() {
    local started=$SECONDS status=0
    kill "-$1" "$pid"
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && fail "the pipeline still runs 30 s after SIG$1 to run.sh's pid"
    wait "$pid" || status=$?
    pid=""
    [[ $status == 0 ]] || fail "the pipeline exited with status $status after SIG$1"
    grep -q '"stopped cleanly"' "$work/run.log" || fail "the pipeline did not log that it stopped cleanly"
    for port in "$GATEWAY_PORT" "$DASHBOARD_PORT" "$PROCESSOR_PORT" "$NOTIFIER_PORT"; do
        port_open "$port" && fail "port $port still answers after SIG$1 to run.sh's pid"
    done
    echo "run-stop: SIG$1 to run.sh's pid stopped the pipeline in $((SECONDS - started)) s; ports $GATEWAY_PORT-$NOTIFIER_PORT are free"
}

command -v curl >/dev/null || { . scripts/lib/install.sh; install_packages curl; }
for port in "$GATEWAY_PORT" "$DASHBOARD_PORT" "$PROCESSOR_PORT" "$NOTIFIER_PORT"; do
    port_open "$port" && fail "port $port is taken before the check; set RUN_CHECK_HTTP_PORT"
done
eval "$(scripts/servers.sh start redis rabbitmq)"
start
stop TERM
start
stop INT
echo "run-stop: PASS"
