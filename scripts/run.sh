#!/usr/bin/env bash
# usage: scripts/run.sh [--redis single|sentinel|cluster] [--rabbitmq single|cluster] [--help]
#
# The project's run command: installs and starts Redis and RabbitMQ on loopback when they are
# missing (scripts/servers.sh), builds the services, and runs the whole pipeline — gateway,
# processor, notifier and dashboard — in one process until Ctrl-C or SIGTERM, which stop it
# cleanly. The pipeline replaces this script's process (exec), so its pid is the pipeline's: a
# signal sent to it reaches the pipeline and nothing is left holding the ports.
# The servers stay up afterwards (with their data); stop them with scripts/servers.sh stop.
#
# Topologies, all on loopback from Debian's packages (see README, "Running in production"):
#   --redis single     one Redis on REDIS_PORT (the default)
#   --redis sentinel   1 master and 2 replicas watched by 3 sentinels (ports 6391-6393, 26391-26393)
#   --redis cluster    a Redis Cluster of 3 masters with a replica each (ports 7001-7006)
#   --rabbitmq single  one RabbitMQ node on AMQP_PORT (the default)
#   --rabbitmq cluster three RabbitMQ nodes joined into one cluster, quorum queues on all three
#
# It prints one line per step, what and how long; the output of apt-get and of the build goes to
# .local/logs/install.log and .local/logs/run.log.
#
# Environment: GATEWAY_PORT (8080), DASHBOARD_PORT (8081), PROCESSOR_PORT (8082),
# NOTIFIER_PORT (8083), PREFETCH, NOTIFY_LATENCY_MS, ... (see README), the server variables
# of scripts/servers.sh (REDIS_PORT, AMQP_PORT, ...), and RUN_CONFIGURATION (release, or debug
# to run the build `swift build` makes).
set -euo pipefail

usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; }
redis_topology=single
rabbitmq_topology=single
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h | --help | -help) usage; exit 0 ;;
        --redis=*) redis_topology="${1#*=}" ;;
        --redis) redis_topology="${2:-}"; shift ;;
        --rabbitmq=*) rabbitmq_topology="${1#*=}" ;;
        --rabbitmq) rabbitmq_topology="${2:-}"; shift ;;
        *)
            echo "run.sh: unknown argument '$1' (see 'scripts/run.sh --help')" >&2
            exit 2
            ;;
    esac
    shift
done
case "$redis_topology" in
    single) servers=(redis) ;;
    sentinel) servers=(redis-sentinel) ;;
    cluster) servers=(redis-cluster) ;;
    *) echo "run.sh: --redis takes single, sentinel or cluster, not '$redis_topology'" >&2; exit 2 ;;
esac
case "$rabbitmq_topology" in
    single) servers+=(rabbitmq) ;;
    cluster) servers+=(rabbitmq-cluster) ;;
    *) echo "run.sh: --rabbitmq takes single or cluster, not '$rabbitmq_topology'" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STEP_PREFIX="run"
source scripts/lib/steps.sh
LOG=.local/logs/run.log
mkdir -p "$(dirname "$LOG")"
: >"$LOG"

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "swift not found: install the Swift 6.3 toolchain (e.g. in /opt/swift)" >&2; exit 1; }

eval "$(scripts/servers.sh start "${servers[@]}")"
# The services' REDIS_URL and RABBITMQ_URLS for the topology, and how to set the stock in it.
case "$redis_topology" in
    single) stock_cli="redis-cli -p ${REDIS_URL##*:}" ;;
    sentinel)
        export REDIS_URL="$REDIS_SENTINEL_URL"
        stock_cli="redis-cli -p ${REDIS_SENTINEL_DATA_PORT:-6391}"
        ;;
    cluster)
        export REDIS_URL="$REDIS_CLUSTER_URL"
        stock_cli="redis-cli -c -p ${REDIS_CLUSTER_PORT:-7001}"
        ;;
esac
if [[ "$rabbitmq_topology" == cluster ]]; then
    export RABBITMQ_URLS="$AMQP_CLUSTER_URLS" RABBITMQ_TOPOLOGY=cluster
else
    export RABBITMQ_URLS="${RABBITMQ_URLS:-$AMQP_URL}"
fi

configuration="${RUN_CONFIGURATION:-release}"
[[ "$configuration" == release || "$configuration" == debug ]] || { echo "run.sh: RUN_CONFIGURATION must be release or debug, not '$configuration'" >&2; exit 2; }
step_begin "building order-pipeline ($configuration; log: $LOG)"
if ! swift build -c "$configuration" --product order-pipeline >>"$LOG" 2>&1; then
    step_fail
    tail -n 30 "$LOG" >&2
    exit 1
fi
step_end
bin="$(swift build -c "$configuration" --show-bin-path)/order-pipeline"

gateway="http://127.0.0.1:${GATEWAY_PORT:-8080}"
dashboard="http://127.0.0.1:${DASHBOARD_PORT:-8081}"
order="'{\"id\":\"order-1\",\"email\":\"me@example.com\",\"sku\":\"ABC\",\"qty\":2}'"
# The walkthrough, command and comment: the comments line up in one column.
walkthrough=(
    "$stock_cli SET inventory:ABC 100" ""
    "curl -X POST $gateway/orders -H 'Content-Type: application/json' \\" ""
    "     -d $order" "202 Order received: order-1"
    "curl -X POST $gateway/orders -H 'Content-Type: application/json' \\" ""
    "     -d $order" "409 Duplicate order"
    "curl \"$dashboard/metrics?sku=ABC&order_id=order-1\"" "inventory 98, notification sent"
    "curl $gateway/orders/order-1" '{"id":"order-1","state":"notified"}'
)
width=0
for ((i = 0; i < ${#walkthrough[@]}; i += 2)); do
    [[ -z "${walkthrough[i + 1]}" || ${#walkthrough[i]} -le $width ]] || width=${#walkthrough[i]}
done
{
    echo
    echo "order-pipeline is starting: gateway $gateway, dashboard $dashboard"
    echo "(REDIS_URL=$REDIS_URL, RABBITMQ_URLS=$RABBITMQ_URLS). Try, from another terminal:"
    echo
    for ((i = 0; i < ${#walkthrough[@]}; i += 2)); do
        if [[ -n "${walkthrough[i + 1]}" ]]; then
            printf '  %-*s   # %s\n' "$width" "${walkthrough[i]}" "${walkthrough[i + 1]}"
        else
            printf '  %s\n' "${walkthrough[i]}"
        fi
    done
    echo
    echo "Ctrl-C (or kill $$) stops the pipeline cleanly; the servers keep running (scripts/servers.sh stop"
    echo "stops them). The pipeline's log follows."
    echo
}
exec "$bin"
