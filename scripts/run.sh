#!/usr/bin/env bash
# usage: scripts/run.sh [--help]
#
# The project's run command: installs and starts Redis and RabbitMQ on loopback when they are
# missing (scripts/servers.sh), builds the services, and runs the whole pipeline — gateway,
# processor, notifier and dashboard — in one process until Ctrl-C or SIGTERM, which stop it
# cleanly. The pipeline replaces this script's process (exec), so its pid is the pipeline's: a
# signal sent to it reaches the pipeline and nothing is left holding the ports.
# The servers stay up afterwards (with their data); stop them with scripts/servers.sh stop.
#
# It prints one line per step, what and how long; the output of apt-get and of the build goes to
# .local/logs/install.log and .local/logs/run.log.
#
# Environment: GATEWAY_PORT (8080), DASHBOARD_PORT (8081), PROCESSOR_PORT (8082),
# NOTIFIER_PORT (8083), PREFETCH, NOTIFY_LATENCY_MS, ... (see README), the server variables
# of scripts/servers.sh (REDIS_PORT, AMQP_PORT, ...), and RUN_CONFIGURATION (release, or debug
# to run the build `swift build` makes).
set -euo pipefail

case "${1:-}" in
    "") ;;
    -h | --help | -help)
        # The comment above, without its marks.
        sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
        exit 0
        ;;
    *)
        echo "run.sh: unknown argument '$1' (see 'scripts/run.sh --help')" >&2
        exit 2
        ;;
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

eval "$(scripts/servers.sh start redis rabbitmq)"
export RABBITMQ_URLS="${RABBITMQ_URLS:-$AMQP_URL}"

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
    "redis-cli -p ${REDIS_URL##*:} SET inventory:ABC 100" ""
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
