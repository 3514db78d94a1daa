#!/usr/bin/env bash
# Fault-injection run for the order pipeline. Starts its own Redis (AOF, appendfsync always) and
# two independent RabbitMQ nodes on ports of its own, runs the gateway, processor, notifier and
# dashboard as separate processes (release build), and then, one scenario at a time: resets the
# state, sets the inventory, starts open-loop load (a share of the ids without Idempotency-Key,
# sampling the inventory every 100 ms), injects one fault mid-load, waits (bounded) for quiescence
# and reconciles the client ledger against Redis and the notifier's log of its sends
# (`chaos reconcile`), printing a table.
# Finally it runs the HTTP abuse checks (`chaos abuse`) against the running gateway.
#
#   scripts/chaos.sh [--short] [--only "name name ..."] [--no-abuse]
#
# Scenarios: baseline kill-gateway kill-processor kill-notifier rabbitmq-stop rabbitmq-kill
#            failover redis-kill proxy-cut
# --short runs each scenario for a few seconds (for CI). Exits non-zero on any violation.
#
# The services reach RabbitMQ node 1 and Redis through `chaos proxy`, so the proxy-cut scenario
# can cut their connections mid-frame. Node 2 is reached directly and only listed (second, in
# RABBITMQ_URLS) for the failover scenario. The two nodes are independent, not clustered: what
# node 1 held when it died is delivered only after it restarts and the services return to it,
# which the failover scenario does before reconciling.
#
# Environment (defaults in brackets): CHAOS_REDIS_PORT [16431] CHAOS_AMQP_PORT [5741]
#   CHAOS_AMQP2_PORT [5742] CHAOS_PORT_BASE [18430] (gateway, dashboard, processor, notifier,
#   then the two proxies, on consecutive ports)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SHORT=0
ONLY=""
ABUSE=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --short) SHORT=1 ;;
        --only) ONLY="$2"; shift ;;
        --no-abuse) ABUSE=0 ;;
        *) echo "usage: scripts/chaos.sh [--short] [--only \"scenario ...\"] [--no-abuse]" >&2; exit 2 ;;
    esac
    shift
done

export REDIS_PORT="${CHAOS_REDIS_PORT:-16431}"
export REDIS_APPENDFSYNC=always
export AMQP_PORT="${CHAOS_AMQP_PORT:-5741}"
export RABBITMQ_NODE="chaos1-$AMQP_PORT@localhost"
export AMQP2_PORT="${CHAOS_AMQP2_PORT:-5742}"
export RABBITMQ2_NODE="chaos2-$AMQP2_PORT@localhost"
BASE="${CHAOS_PORT_BASE:-18430}"
GATEWAY_PORT=$BASE
DASHBOARD_PORT=$((BASE + 1))
PROCESSOR_PORT=$((BASE + 2))
NOTIFIER_PORT=$((BASE + 3))
AMQP_PROXY_PORT=$((BASE + 4))
REDIS_PROXY_PORT=$((BASE + 5))

if [[ "$SHORT" == 1 ]]; then RATE=50; DURATION=6; else RATE=100; DURATION=20; fi
SKUS=4
# Demand averages 2 units a request; stock for about 80 % of it, so late orders are rejected.
STOCK=$((RATE * DURATION * 2 * 8 / 10 / SKUS))
WAIT_SECONDS=90

WORK="$ROOT/.local/chaos"
mkdir -p "$WORK"
# The notifier's log is evidence (reconcile counts the sends in it), so every run starts afresh.
for log in gateway processor notifier dashboard amqp-proxy redis-proxy; do : >"$WORK/$log.log"; done
BIN="$ROOT/.build/release"
FAILED=()
PIDS_STARTED=()
SERVERS_STARTED=""

say() { echo "chaos: $*" >&2; }

cleanup() {
    local status=$?
    for pid in "${PIDS_STARTED[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS_STARTED[@]}"; do wait "$pid" 2>/dev/null || true; done
    # shellcheck disable=SC2086 # a list of names
    [[ -z "$SERVERS_STARTED" ]] || scripts/servers.sh stop $SERVERS_STARTED || true
    exit "$status"
}
trap cleanup EXIT

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
# need COMMAND PACKAGE: installs PACKAGE when COMMAND is missing (a fresh CI machine).
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    say "installing $2"
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"; } >&2
}
need redis-cli redis-tools
need curl curl
# 10,000 idle connections need that many descriptors in the gateway and in the client.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

say "building (release)"
for product in chaos order-gateway order-processor order-notifier order-dashboard; do
    if ! swift build -c release --product "$product" >"$WORK/build.log" 2>&1; then
        tail -n 20 "$WORK/build.log" >&2
        say "build of $product failed"
        exit 1
    fi
done

# servers.sh may have to install packages and start the nodes: its exports name what it started.
eval "$(scripts/servers.sh start redis rabbitmq rabbitmq2)"
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# --- processes ----------------------------------------------------------------------------------

declare -A PID
NODE1_URL="amqp://guest:guest@127.0.0.1:$AMQP_PROXY_PORT/"
NODE2_URL="amqp://guest:guest@127.0.0.1:$AMQP2_PORT/"
# Only the failover scenario lists node 2: with it listed, every broker outage would be a failover.
BROKERS="$NODE1_URL"
start_proxy() { # NAME LISTEN TARGET
    "$BIN/chaos" proxy --listen "$2" --target "$3" 2>>"$WORK/$1.log" &
    PID[$1]=$!
    PIDS_STARTED+=("$!")
}

start_service() { # ROLE
    local role="$1"
    env REDIS_URL="redis://127.0.0.1:$REDIS_PROXY_PORT/0" \
        RABBITMQ_URLS="$BROKERS" \
        GATEWAY_PORT="$GATEWAY_PORT" DASHBOARD_PORT="$DASHBOARD_PORT" PROCESSOR_PORT="$PROCESSOR_PORT" \
        NOTIFIER_PORT="$NOTIFIER_PORT" INFLIGHT_TTL_SECONDS=10 \
        "$BIN/order-$role" 2>>"$WORK/$role.log" &
    PID[$role]=$!
    PIDS_STARTED+=("$!")
}

port_of() {
    case "$1" in
        gateway) echo "$GATEWAY_PORT" ;; dashboard) echo "$DASHBOARD_PORT" ;;
        processor) echo "$PROCESSOR_PORT" ;; notifier) echo "$NOTIFIER_PORT" ;;
    esac
}

wait_ready() { # ROLE...
    local role i
    for role in "$@"; do
        for ((i = 0; i < 600; i++)); do
            curl -fsS -o /dev/null "http://127.0.0.1:$(port_of "$role")/readyz" 2>/dev/null && break
            sleep 0.1
        done
        curl -fsS -o /dev/null "http://127.0.0.1:$(port_of "$role")/readyz" || { say "$role not ready after 60 s"; tail -n 5 "$WORK/$role.log" >&2; return 1; }
    done
}

kill9() { # ROLE
    say "kill -9 $1 (pid ${PID[$1]})"
    kill -KILL "${PID[$1]}" 2>/dev/null || true
    wait "${PID[$1]}" 2>/dev/null || true
}

restart_gracefully() { # ROLE...: SIGTERM and start again, so it reconnects to the first broker.
    local role
    for role in "$@"; do
        kill -TERM "${PID[$role]}" 2>/dev/null || true
        wait "${PID[$role]}" 2>/dev/null || true
        start_service "$role"
    done
    wait_ready "$@"
}

rabbit_pidfile() { # NODE
    echo "$(readlink -f "$ROOT/.local/rabbitmq/$1")/rabbitmq.pid"
}

rabbit_kill9() {
    local pid
    pid="$(tr -dc 0-9 <"$(rabbit_pidfile "$RABBITMQ_NODE")")"
    say "kill -9 RabbitMQ node 1 ($RABBITMQ_NODE, pid $pid)"
    kill -KILL "$pid"
}

rabbit_start() { scripts/servers.sh start rabbitmq >/dev/null; }

# Waits (at most 60 s) until node 2's queues are empty, so nothing is stranded there when the
# services leave it.
drain_node2() {
    local i
    for ((i = 0; i < 60; i++)); do
        rabbitmqctl -q -n "$RABBITMQ2_NODE" list_queues messages 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { n += $1 } END { exit n > 0 }' && return 0
        sleep 1
    done
    say "node 2 still holds messages after 60 s"
}

# --- scenarios ----------------------------------------------------------------------------------

# record_faults SCENARIO: yes when the fault can fall between a notifier's send and its record in
# Redis, so the notification may be sent again once the lease expires (at-least-once sending).
record_faults() {
    case "$1" in
        kill-notifier | redis-kill | proxy-cut) echo yes ;;
        *) echo no ;;
    esac
}

# Waits for background jobs other than the long-running processes.
wait_for_jobs() {
    local job
    for job in $(jobs -p); do
        [[ " ${PIDS_STARTED[*]} " == *" $job "* ]] || wait "$job" 2>/dev/null || true
    done
}

reset_state() {
    local queue node
    # Leftover messages from an earlier scenario would decide orders against this one's stock.
    for queue in orders.queue notifier.queue orders.dead; do
        for node in "$RABBITMQ_NODE" "$RABBITMQ2_NODE"; do
            rabbitmqctl -q -n "$node" purge_queue "$queue" >/dev/null 2>&1 &
        done
    done
    wait_for_jobs
    rcli FLUSHALL >/dev/null
    for ((i = 0; i < SKUS; i++)); do rcli SET "inventory:chaos-sku-$i" "$STOCK" >/dev/null; done
}

# inject SCENARIO: the fault, run a third of the way into the load.
inject() {
    case "$1" in
        baseline) ;;
        kill-gateway | kill-processor | kill-notifier)
            local role="${1#kill-}"
            kill9 "$role"
            sleep 1
            start_service "$role"
            ;;
        rabbitmq-stop)
            say "stopping RabbitMQ node 1 gracefully"
            scripts/servers.sh stop rabbitmq 2>/dev/null
            sleep 2
            rabbit_start
            ;;
        rabbitmq-kill)
            rabbit_kill9
            sleep 2
            rabbit_start
            ;;
        failover)
            # Node 2 stands alone (no cluster): what node 1 held comes back only when node 1 does.
            rabbit_kill9
            ;;
        redis-kill)
            say "kill -9 redis (appendfsync always)"
            kill -KILL "$(cat "$ROOT/.local/redis/$REDIS_PORT/redis.pid")"
            sleep 1
            scripts/servers.sh start redis >/dev/null
            ;;
        proxy-cut)
            local n
            for n in 1 2 3; do
                say "cutting every RabbitMQ and Redis connection mid-frame (#$n)"
                kill -USR1 "${PID[amqp-proxy]}" "${PID[redis-proxy]}"
                sleep 1
            done
            say "stalling RabbitMQ and Redis connections for 3 s"
            kill -USR2 "${PID[amqp-proxy]}" "${PID[redis-proxy]}"
            sleep 3
            kill -USR2 "${PID[amqp-proxy]}" "${PID[redis-proxy]}"
            ;;
    esac
}

run_scenario() {
    local name="$1" ledger="$WORK/$1.jsonl" load_pid status=0
    echo
    say "=== scenario $name: $RATE req/s for $DURATION s, stock $STOCK x $SKUS SKUs"
    if [[ "$name" == failover ]]; then
        BROKERS="$NODE1_URL,$NODE2_URL"
        restart_gracefully gateway processor notifier
    fi
    reset_state
    # The load samples the inventory straight from Redis (not through the proxy) every 100 ms.
    "$BIN/chaos" load --gateway "127.0.0.1:$GATEWAY_PORT" --rate "$RATE" --duration "$DURATION" \
        --timeout-ms 6000 --skus "$SKUS" --ledger "$ledger" --nonce "$name-$RANDOM" \
        --redis "redis://127.0.0.1:$REDIS_PORT/0" --samples "$WORK/$name.samples.json" &
    load_pid=$!
    sleep $((DURATION / 3))
    inject "$name"
    wait "$load_pid" || status=$?
    if [[ "$name" == failover ]]; then
        say "waiting for node 2 to drain, then restarting node 1 and moving the services back to it alone, so its queued messages are delivered"
        drain_node2
        rabbit_start
        BROKERS="$NODE1_URL"
        restart_gracefully gateway processor notifier
    fi
    wait_ready gateway processor notifier
    "$BIN/chaos" reconcile --redis "redis://127.0.0.1:$REDIS_PORT/0" --ledger "$ledger" --initial-stock "$STOCK" \
        --skus "$SKUS" --wait-seconds "$WAIT_SECONDS" --scenario "$name" \
        --sender-log "$WORK/notifier.log" --samples "$WORK/$name.samples.json" --record-faults "$(record_faults "$name")" || status=$?
    [[ "$status" == 0 ]] || FAILED+=("$name")
}

start_proxy amqp-proxy "$AMQP_PROXY_PORT" "127.0.0.1:$AMQP_PORT"
start_proxy redis-proxy "$REDIS_PROXY_PORT" "127.0.0.1:$REDIS_PORT"
for role in gateway processor notifier dashboard; do start_service "$role"; done
wait_ready gateway processor notifier dashboard

SCENARIOS="${ONLY:-baseline kill-gateway kill-processor kill-notifier rabbitmq-stop rabbitmq-kill failover redis-kill proxy-cut}"
for scenario in $SCENARIOS; do run_scenario "$scenario"; done

if [[ "$ABUSE" == 1 ]]; then
    echo
    say "=== HTTP abuse against the gateway"
    reset_state
    "$BIN/chaos" abuse --gateway "127.0.0.1:$GATEWAY_PORT" --idle-connections "$([[ "$SHORT" == 1 ]] && echo 2000 || echo 10000)" || FAILED+=("http-abuse")
fi

echo
if [[ ${#FAILED[@]} -eq 0 ]]; then
    say "all scenarios passed"
else
    say "FAILED: ${FAILED[*]}"
    exit 1
fi
