#!/usr/bin/env bash
# Runs the services' suites (ServicesTests, the pipeline end to end included) on Redis Sentinel
# and on Redis Cluster, then the RESP client tests that need Sentinel and Cluster (the *TopologyTests suites:
# failovers, kill -9 of a master, slots migrating under load), against topologies of its
# own, on ports of their own (data 6491-6493 and sentinels 26491-26493; cluster 7101-7106),
# with a password required by every node and sentinel so authentication is exercised too.
# CI=true, so a topology that did not come up fails the tests. Stops what it started on exit.
# Usage: scripts/interop/redis-ha.sh   (variables of scripts/lib/redis-topologies.sh choose ports)
set -euo pipefail
cd "$(dirname "$0")/../.."
export REDIS_SENTINEL_DATA_PORT="${REDIS_SENTINEL_DATA_PORT:-6491}"
export REDIS_SENTINEL_PORT="${REDIS_SENTINEL_PORT:-26491}"
export REDIS_CLUSTER_PORT="${REDIS_CLUSTER_PORT:-7101}"
export REDIS_TOPOLOGY_PASSWORD="${REDIS_TOPOLOGY_PASSWORD:-ha-tests-secret}"

started=""
cleanup() {
    # shellcheck disable=SC2086 # a list of names
    [[ -z "$started" ]] || scripts/servers.sh stop $started >/dev/null 2>&1 || true
}
trap cleanup EXIT
exports="$(scripts/servers.sh start redis-sentinel redis-cluster)" || { eval "$exports"; started="$SERVERS_STARTED"; exit 1; }
eval "$exports"
started="$SERVERS_STARTED"
swift build --build-tests
# The services' suites on each topology, first, while the topologies are as started: the
# topology tests then kill masters and fail over, and a master left without a replica for a
# while refuses the writes that wait for one. On Sentinel, every suite (plain keys); on the
# Cluster, those written for its sharded keys: the pipeline end to end, the trace through it, the
# sharded store and the open orders (RedisPipelineStoreTests and DashboardSourceTests name plain
# keys, which a Cluster refuses as CROSSSLOT by design).
REDIS_URL="$REDIS_SENTINEL_URL" CI=true swift test --skip-build --filter 'ServicesTests'
REDIS_URL="$REDIS_CLUSTER_URL" CI=true swift test --skip-build \
    --filter 'ServicesTests\.(PipelineEndToEndTests|TracingEndToEndTests|ShardedPipelineStoreTests|OpenOrderSweeperTests)'
CI=true swift test --skip-build --filter 'TopologyTests/'
