#!/usr/bin/env bash
# Runs the AMQP tests that block, stop and fail over brokers (RecoveryIntegrationTests), and the
# pipeline's broker fault tests that delete its queues, unbind them, refuse its declarations and
# block publishing (ServicesTests.BrokerFaultTests, which also need Redis), on two disposable
# RabbitMQ nodes of their own, never on the shared development broker. Nodes this script starts
# are stopped again at the end; nodes already running on those ports are reused (and node 2,
# which one test kills, is started again). Redis is started when none answers.
#
# Environment (defaults in brackets): AMQP_PORT [5782], RABBITMQ_NODE [recovery1@localhost],
# AMQP2_PORT [5783], RABBITMQ2_NODE [recovery2@localhost].
set -euo pipefail
cd "$(dirname "$0")/../.."

export AMQP_PORT=${AMQP_PORT:-5782} RABBITMQ_NODE=${RABBITMQ_NODE:-recovery1@localhost}
export AMQP2_PORT=${AMQP2_PORT:-5783} RABBITMQ2_NODE=${RABBITMQ2_NODE:-recovery2@localhost}

started=""
cleanup() {
    for server in $started; do scripts/servers.sh stop "$server" || true; done
}
trap cleanup EXIT

eval "$(scripts/servers.sh start redis)"
started="$started $SERVERS_STARTED"
eval "$(scripts/servers.sh start rabbitmq)"
started="$started $SERVERS_STARTED"
eval "$(scripts/servers.sh start rabbitmq2)"
started="$started $SERVERS_STARTED"

# Name both disposable nodes explicitly: a RABBITMQ_NODENAME inherited from the caller (the test
# command exports the main broker's) must never be the node these tests block, stop or kill.
export AMQP_RECOVERY_TESTS=1 RABBITMQ_NODENAME="$RABBITMQ_NODE" RABBITMQ2_NODENAME="$RABBITMQ2_NODE"
swift test --filter AMQP091Tests.RecoveryIntegrationTests
swift test --skip-build --filter ServicesTests.BrokerFaultTests
# This one kills node 2 (SIGKILL), so it runs last and the node is started again after it.
status=0
swift test --skip-build --filter AMQP091Tests.BrokerKillIntegrationTests || status=$?
scripts/servers.sh start rabbitmq2 >/dev/null
exit $status
