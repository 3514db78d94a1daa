#!/bin/sh
# Redis Cluster client throughput next to `redis-benchmark --cluster --threads 1` (peer_round says
# why one thread) in the same run, on a cluster of 3 masters without replicas that this script
# starts (scripts/servers.sh) on ports of its own and stops on exit: SET and GET with 50
# connections at pipeline depth 1 and 16. Each depth runs twice: on the default loops (one per
# core) and on one loop, like the peer's single thread (as scripts/bench/resp-client.sh does);
# with three servers on the same few cores, a second client thread competes with them.
# `resp-bench cluster` shapes the load as redis-benchmark does: the connections shared out over
# the masters, each sending its node's one key (key:{TAG}:__rand_int__ in the node's first slot)
# with a 3-byte value, through RedisClusterClient with at most as many connections per node.
# Each shape runs peer and ours back to back for several rounds; the best round of each is
# compared, because the shared machines are noisy. Each comparison ends with a RESULT line for
# scripts/bench.sh. Installs redis-server and redis-tools when missing.
# Usage: scripts/bench/resp-cluster.sh [ROUNDS] [REQUESTS]   (defaults 3 and 200000)
# Environment: REDIS_CLUSTER_PORT [17301]: the masters listen on it and the next two ports, their
# cluster bus 10000 above.
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-3}
requests=${2:-200000}
# The topology of scripts/lib/redis-topologies.sh, without a password: redis-benchmark is given none.
export REDIS_CLUSTER_PORT="${REDIS_CLUSTER_PORT:-17301}" REDIS_CLUSTER_MASTERS=3 REDIS_CLUSTER_REPLICAS=0 REDIS_TOPOLOGY_PASSWORD=

. scripts/lib/bench.sh
bench_need redis-server:redis-server redis-tools:redis-benchmark
swift build --package-path Benchmarks -c release --product resp-bench >/dev/null
ours=Benchmarks/.build/release/resp-bench
work=${TMPDIR:-/tmp}/resp-cluster-bench
mkdir -p "$work"

# Only what this script started is stopped (servers.sh reuses a cluster it left running before),
# as named by the export lines of servers.sh, which it writes even when it fails. They go to a
# file rather than a variable so that a signal arriving while servers.sh runs (sh defers its trap
# until the command ends) still finds them.
servers_env="$work/servers.env"
: >"$servers_env"
stop_cluster() {
    SERVERS_STARTED=""
    # shellcheck source=/dev/null # export lines of scripts/servers.sh
    . "$servers_env"
    # shellcheck disable=SC2086 # a list of server names
    [ -z "$SERVERS_STARTED" ] || scripts/servers.sh stop $SERVERS_STARTED >/dev/null 2>&1 || true
}
trap stop_cluster EXIT
# An interrupted run still stops the cluster: sh runs the EXIT trap on exit, not on a signal.
trap 'exit 130' INT TERM HUP
scripts/servers.sh start redis-cluster >"$servers_env"
# shellcheck source=/dev/null # export lines of scripts/servers.sh
. "$servers_env"
url=$REDIS_CLUSTER_URL

# Best "rps" per command from lines "CMD rps=N p50_ms=... p99_ms=...".
best() { awk -v cmd="$2" '$1 == cmd { split($2, f, "="); if (f[2] > max) { max = f[2]; line = $0 } } END { print line }' "$1"; }

# peer_round FLAGS: one run of redis-benchmark --cluster, as lines "CMD rps=N p50_ms=... p99_ms=..."
# (it lists the masters before its CSV, so only the quoted rows after the header are read).
# --threads 1: by default it runs one thread per master, and then a test ends only when every
# thread reaches its next throughput tick (every 250 ms), so its time is rounded up to a multiple
# of 250 ms: 20,000 GETs at depth 16 were reported at 79,000/s, and at 870,000/s on one thread.
# One thread is also how it loads a single server (scripts/bench/resp-client.sh); it still spreads
# its connections over the masters.
peer_round() {
    # shellcheck disable=SC2086 # a list of flags
    redis-benchmark -h 127.0.0.1 -p "$REDIS_CLUSTER_PORT" --cluster --threads 1 -n "$requests" -t set,get --csv $1 |
        awk -F, '/^"/ && !/^"test"/ { gsub(/"/, ""); print $1 " rps=" $2 " p50_ms=" $5 " p99_ms=" $7 }'
}
rps() { echo "$1" | sed -n 's/^[A-Z]* rps=\([0-9.]*\).*/\1/p'; }

# compare LABEL NAME PEER_FLAGS OURS_ARGS...: rounds of the peer and ours, then the best of each.
compare() {
    label=$1; name=$2; peer_flags=$3; shift 3
    : >"$work/peer.txt"
    : >"$work/ours.txt"
    i=1
    while [ "$i" -le "$rounds" ]; do
        peer_round "$peer_flags" >>"$work/peer.txt"
        "$ours" cluster "$url" "$requests" "$@" >>"$work/ours.txt"
        i=$((i + 1))
    done
    for cmd in SET GET; do
        peer=$(best "$work/peer.txt" "$cmd")
        mine=$(best "$work/ours.txt" "$cmd")
        printf '%s %s  %-16s %s\n' "$label" "$cmd" "redis-benchmark:" "${peer#* }"
        printf '%s %s  %-16s %s\n' "$label" "$cmd" "RESP:" "${mine#* }"
        awk -v ours="$(rps "$mine")" -v peer="$(rps "$peer")" 'BEGIN { printf "  ratio RESP/redis-benchmark: %.2fx\n", ours / peer }'
        bench_result "$(echo "$cmd" | tr 'A-Z' 'a-z')-$name" "$(rps "$mine")" redis-benchmark "$(rps "$peer")" commands/s higher
    done
}

echo "best of $rounds rounds, $requests requests each, cluster of 3 masters on ports $REDIS_CLUSTER_PORT-$((REDIS_CLUSTER_PORT + 2))"
compare "50 connections, depth 1 " 50-connections-depth-1 "-c 50" 50 1
compare "50 connections, depth 16" 50-connections-depth-16 "-c 50 -P 16" 50 16
compare "50 connections, depth 1, one loop " 50-connections-depth-1-one-loop "-c 50" 50 1 1
compare "50 connections, depth 16, one loop" 50-connections-depth-16-one-loop "-c 50 -P 16" 50 16 1
