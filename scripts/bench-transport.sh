#!/usr/bin/env bash
# Loopback echo round trips: transport-bench (64 connections, 14-byte RESP PING echoed) against
# redis-benchmark -t ping -c 64 on a throwaway redis-server, measured back to back in each round.
# Prints each round, the best of each, and the ratio ours/redis (PING_MBULK sends the same 14 bytes).
#
# Environment: ROUNDS (default 3), SECONDS_PER_RUN (default 5), REQUESTS (default 500000).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
REQUESTS=${REQUESTS:-500000}

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
    apt-get update -qq && apt-get install -y -qq redis-server redis-tools >/dev/null
fi

swift build -c release --product transport-bench
bench="$(swift build -c release --show-bin-path)/transport-bench"

# A port nothing answers on.
port=
for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "no free port found" >&2; exit 1; }

workdir=$(mktemp -d)
stop_redis() {
    if [ -f "$workdir/redis.pid" ]; then kill "$(cat "$workdir/redis.pid")" 2>/dev/null || true; fi
    sleep 0.2
    rm -rf "$workdir"
}
trap stop_redis EXIT
redis-server --port "$port" --bind 127.0.0.1 --dir "$workdir" --save '' --appendonly no \
    --daemonize yes --pidfile "$workdir/redis.pid" --logfile "$workdir/redis.log"
for _ in $(seq 1 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
done

redis_run() {
    # -q still draws progress lines ending in \r; keep the final "requests per second" lines.
    redis-benchmark -p "$port" -t ping -c 64 -n "$REQUESTS" -q | tr '\r' '\n' | grep 'requests per second'
}
redis_rate() {
    awk -v test="$1:" '$1 == test { printf "%d\n", $2 }' <<<"$2"
}
ours_rate() {
    "$bench" --seconds "$SECONDS_PER_RUN" --connections 64 --executor "$1" | awk '/round_trips_per_second/ { print $2 }'
}

max() { if [ "$1" -gt "$2" ]; then echo "$1"; else echo "$2"; fi; }

best_loop=0; best_global=0; best_mbulk=0; best_inline=0
ratios=""
for round in $(seq 1 "$ROUNDS"); do
    loop=$(ours_rate loop)
    global=$(ours_rate global)
    redis=$(redis_run)
    mbulk=$(redis_rate PING_MBULK "$redis")
    inline=$(redis_rate PING_INLINE "$redis")
    echo "round $round: transport-bench loop-executor $loop/s, global-executor $global/s; redis-benchmark PING_MBULK $mbulk/s, PING_INLINE $inline/s"
    ratios="$ratios $(awk -v a="$loop" -v r="$mbulk" 'BEGIN { printf "%.3f", a / r }')"
    best_loop=$(max "$best_loop" "$loop")
    best_global=$(max "$best_global" "$global")
    best_mbulk=$(max "$best_mbulk" "$mbulk")
    best_inline=$(max "$best_inline" "$inline")
done

echo
echo "best of $ROUNDS rounds (round trips per second, 64 connections, loopback):"
echo "  transport-bench, tasks on the event loop : $best_loop"
echo "  transport-bench, tasks on the global pool: $best_global"
echo "  redis-benchmark PING_MBULK (same 14 bytes): $best_mbulk"
echo "  redis-benchmark PING_INLINE               : $best_inline"
awk -v a="$best_loop" -v b="$best_global" -v r="$best_mbulk" 'BEGIN {
    printf "ratio ours/redis (PING_MBULK): %.2f (loop executor), %.2f (global executor)\n", a / r, b / r }'
median=$(printf '%s\n' $ratios | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "median of per-round ratios ours/redis (loop executor / PING_MBULK, same round): $median"
