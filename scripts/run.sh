#!/usr/bin/env bash
# The project's run command: installs and starts Redis and RabbitMQ on loopback when they are
# missing (scripts/servers.sh), builds the services, and runs the whole pipeline — gateway,
# processor, notifier and dashboard — in one process until Ctrl-C, which stops it cleanly.
# The servers stay up afterwards (with their data); stop them with scripts/servers.sh stop.
#
# Environment: GATEWAY_PORT (8080), DASHBOARD_PORT (8081), PROCESSOR_PORT (8082),
# NOTIFIER_PORT (8083), PREFETCH, NOTIFY_LATENCY_MS, ... (see README), and the server variables
# of scripts/servers.sh (REDIS_PORT, AMQP_PORT, ...).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "swift not found: install the Swift 6.3 toolchain (e.g. in /opt/swift)" >&2; exit 1; }

eval "$(scripts/servers.sh start redis rabbitmq)"
export RABBITMQ_URLS="${RABBITMQ_URLS:-$AMQP_URL}"

echo "== building the services (release)"
swift build -c release --product order-pipeline
bin="$(swift build -c release --show-bin-path)/order-pipeline"

gateway="http://127.0.0.1:${GATEWAY_PORT:-8080}"
dashboard="http://127.0.0.1:${DASHBOARD_PORT:-8081}"
cat <<TXT

order-pipeline is starting: gateway $gateway, dashboard $dashboard
(REDIS_URL=$REDIS_URL, RABBITMQ_URLS=$RABBITMQ_URLS). Try, from another terminal:

  redis-cli -p ${REDIS_URL##*:} SET inventory:ABC 100
  curl -X POST $gateway/orders -H 'Content-Type: application/json' \\
       -d '{"id":"order-1","email":"me@example.com","sku":"ABC","qty":2}'     # 202 Order received: order-1
  curl -X POST $gateway/orders -H 'Content-Type: application/json' \\
       -d '{"id":"order-1","email":"me@example.com","sku":"ABC","qty":2}'     # 409 Duplicate order
  curl "$dashboard/metrics?sku=ABC&order_id=order-1"                          # inventory 98, notification sent
  curl $gateway/orders/order-1                                                # {"id":"order-1","state":"notified"}

Ctrl-C stops the pipeline cleanly; the servers keep running (scripts/servers.sh stop stops them).

TXT
status=0
"$bin" || status=$?
echo "order-pipeline stopped (exit $status). Servers still running: scripts/servers.sh status"
exit "$status"
