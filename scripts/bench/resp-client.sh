#!/bin/sh
# Redis client throughput next to redis-benchmark in the same run, against one live server:
# SET and GET with 50 connections at pipeline depth 1 and 16, and 50 tasks sharing one
# connection (automatic pipelining; redis-benchmark -c 50 is its nearest peer there). Depth 1
# runs twice: on the default loops (one per core) and on one loop, like redis-benchmark's single
# thread; with the server on the same few cores, more client threads than free cores stretch
# the tail (a descheduled loop stalls all its connections).
# Each shape runs peer and ours back to back for several rounds; the best round of each is
# compared, because the shared machines are noisy. The connection shapes are also run against
# redigo, a Go client library (Benchmarks/peers/go/redisbench, built into .build-bench/), sending
# the same commands to the same key. Each comparison ends with a RESULT line for scripts/bench.sh.
# Installs redis-tools, golang-go and Debian's redigo when missing.
# Usage: scripts/bench/resp-client.sh [ROUNDS] [REQUESTS]   (server from REDIS_URL)
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-3}
requests=${2:-200000}
url=${REDIS_URL:-redis://127.0.0.1:6379}
hostport=${url#redis://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
[ "$port" = "$host" ] && port=6379

. scripts/lib/bench.sh
bench_need redis-tools:redis-benchmark
redigo=$(bench_go_peer redisbench redigo)
swift build --package-path Benchmarks -c release --product resp-bench >/dev/null
ours=Benchmarks/.build/release/resp-bench
work=${TMPDIR:-/tmp}/resp-client-bench
mkdir -p "$work"

# Best "rps" per command from lines "CMD rps=N p50_ms=... p99_ms=...".
best() { awk -v cmd="$2" '$1 == cmd { split($2, f, "="); if (f[2] > max) { max = f[2]; line = $0 } } END { print line }' "$1"; }

# peer_round PEER FLAGS: one run of redis-benchmark or redigo, as lines "CMD rps=N p50_ms=... p99_ms=...".
peer_round() {
    case $1 in
        redis-benchmark)
            redis-benchmark -h "$host" -p "$port" -n "$requests" -t set,get --csv $2 |
                awk -F, 'NR > 1 { gsub(/"/, ""); print $1 " rps=" $2 " p50_ms=" $5 " p99_ms=" $7 }' ;;
        redigo) "$redigo" -addr "$host:$port" -n "$requests" -t set,get $2 ;;
    esac
}
rps() { echo "$1" | sed -n 's/^[A-Z]* rps=\([0-9.]*\).*/\1/p'; }

# compare LABEL NAME PEER PEER_FLAGS OURS_ARGS...: rounds of the peer and ours, then the best of each.
compare() {
    label=$1; name=$2; peer_name=$3; peer_flags=$4; shift 4
    : >"$work/peer.txt"
    : >"$work/ours.txt"
    i=1
    while [ "$i" -le "$rounds" ]; do
        peer_round "$peer_name" "$peer_flags" >>"$work/peer.txt"
        "$ours" client "$url" "$requests" "$@" >>"$work/ours.txt"
        i=$((i + 1))
    done
    for cmd in SET GET; do
        peer=$(best "$work/peer.txt" "$cmd")
        mine=$(best "$work/ours.txt" "$cmd")
        printf '%s %s  %-16s %s\n' "$label" "$cmd" "$peer_name:" "${peer#* }"
        printf '%s %s  %-16s %s\n' "$label" "$cmd" "RESP:" "${mine#* }"
        awk -v ours="$(rps "$mine")" -v peer="$(rps "$peer")" -v who="$peer_name" 'BEGIN { printf "  ratio RESP/%s: %.2fx\n", who, ours / peer }'
        bench_result "$(echo "$cmd" | tr 'A-Z' 'a-z')-$name" "$(rps "$mine")" "$peer_name" "$(rps "$peer")" commands/s higher
    done
}

echo "best of $rounds rounds, $requests requests each, server $host:$port"
compare "50 connections, depth 1 " 50-connections-depth-1 redis-benchmark "-c 50" connections 50 1
compare "50 connections, depth 1, one loop" 50-connections-depth-1-one-loop redis-benchmark "-c 50" connections 50 1 1
compare "50 connections, depth 16" 50-connections-depth-16 redis-benchmark "-c 50 -P 16" connections 50 16
compare "50 tasks, one connection" 50-tasks-one-connection redis-benchmark "-c 50" shared 50
compare "50 connections, depth 1 " 50-connections-depth-1 redigo "-c 50 -P 1" connections 50 1
compare "50 connections, depth 16" 50-connections-depth-16 redigo "-c 50 -P 16" connections 50 16
