#!/usr/bin/env bash
# The project's run command. The order-pipeline services (HTTP gateway, order processor, notifier)
# are not part of this version yet, so for now it installs and starts the servers they use, Redis
# and RabbitMQ, and leaves them running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

exports="$(scripts/servers.sh start "$@")"
eval "$exports"
echo
scripts/servers.sh status "$@" 2>&1
echo
echo "Servers for order-pipeline:"
echo "  REDIS_URL=$REDIS_URL"
echo "  AMQP_URL=$AMQP_URL"
echo "The order-pipeline services (HTTP gateway, processor, notifier) come in a later version;"
echo "this version provides the protocol libraries, their tests and the conformance runner."
echo "Stop the servers it started with: scripts/servers.sh stop (servers it found running are left alone)"
