#!/bin/sh
# Redis client throughput next to redis-benchmark in the same run, against one live server:
# SET and GET with 50 connections at pipeline depth 1 and 16, and 50 tasks sharing one
# connection (automatic pipelining; redis-benchmark -c 50 is its nearest peer there). Depth 1
# runs twice: on the default loops (one per core) and on one loop, like redis-benchmark's single
# thread; with the server on the same few cores, more client threads than free cores stretch
# the tail (a descheduled loop stalls all its connections).
# Each shape runs peer and ours back to back for several rounds; the best round of each is
# compared, because the shared machines are noisy.
# Usage: scripts/bench-resp-client.sh [ROUNDS] [REQUESTS]   (server from REDIS_URL)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}
requests=${2:-200000}
url=${REDIS_URL:-redis://127.0.0.1:6379}
hostport=${url#redis://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
[ "$port" = "$host" ] && port=6379

if ! command -v redis-benchmark >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        echo "bench-resp-client.sh: redis-benchmark is missing; install it with: sudo apt-get install -y redis-tools" >&2
        exit 1
    fi
    apt-get update -qq && apt-get install -y -qq redis-tools
fi
swift build -c release --product resp-bench >/dev/null
ours=.build/release/resp-bench
work=${TMPDIR:-/tmp}/resp-client-bench
mkdir -p "$work"

# Best "rps" per command from lines "CMD rps=N p50_ms=... p99_ms=...".
best() { awk -v cmd="$2" '$1 == cmd { split($2, f, "="); if (f[2] > max) { max = f[2]; line = $0 } } END { print line }' "$1"; }

compare() {
    name=$1; peer_flags=$2; shift 2
    : >"$work/peer.txt"
    : >"$work/ours.txt"
    i=1
    while [ "$i" -le "$rounds" ]; do
        redis-benchmark -h "$host" -p "$port" -n "$requests" -t set,get --csv $peer_flags |
            awk -F, 'NR > 1 { gsub(/"/, ""); print $1 " rps=" $2 " p50_ms=" $5 " p99_ms=" $7 }' >>"$work/peer.txt"
        "$ours" client "$url" "$requests" "$@" >>"$work/ours.txt"
        i=$((i + 1))
    done
    for cmd in SET GET; do
        peer=$(best "$work/peer.txt" "$cmd")
        mine=$(best "$work/ours.txt" "$cmd")
        echo "$name $cmd  redis-benchmark: ${peer#* }"
        echo "$name $cmd  RESP:            ${mine#* }"
        echo "$peer|$mine" | awk -F'|' '{ split($1, a, " "); split($2, b, " "); split(a[2], p, "="); split(b[2], o, "=");
            printf "  ratio RESP/redis-benchmark: %.2fx\n", o[2] / p[2] }'
    done
}

echo "best of $rounds rounds, $requests requests each, server $host:$port"
compare "50 connections, depth 1 " "-c 50" connections 50 1
compare "50 connections, depth 1, one loop" "-c 50" connections 50 1 1
compare "50 connections, depth 16" "-c 50 -P 16" connections 50 16
compare "50 tasks, one connection" "-c 50" shared 50
