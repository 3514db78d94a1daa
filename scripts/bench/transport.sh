#!/usr/bin/env bash
# Loopback echo round trips: transport-bench (64 connections, 14-byte RESP PING echoed) against
# redis-benchmark -t ping -c 64 on a throwaway redis-server, measured back to back in each round.
# Prints each round, the best of each, the ratio ours/redis (PING_MBULK sends the same 14 bytes),
# and CPU time per round trip (both ends, user + system), which other load on the machine
# disturbs far less than throughput. Ends with RESULT lines for scripts/bench.sh. Installs
# redis-server and redis-tools when missing (without starting the distribution's service).
#
# Environment: ROUNDS (default 3), SECONDS_PER_RUN (default 5), REQUESTS (default 500000).
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
REQUESTS=${REQUESTS:-500000}

. scripts/lib/bench.sh
bench_need redis-server:redis-server redis-tools:redis-benchmark

swift build --package-path Benchmarks -c release --product transport-bench
bench="$(swift build --package-path Benchmarks -c release --show-bin-path)/transport-bench"

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

clock_ticks=$(getconf CLK_TCK)
server_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$(cat "$workdir/redis.pid")/stat"; }

# Sets redis_out (the "requests per second" lines) and redis_cpu_us (CPU microseconds per
# request, redis-server plus redis-benchmark, over both PING tests).
redis_run() {
    local before after
    before=$(server_cpu_ticks)
    TIMEFORMAT='%U %S'
    # -q still draws progress lines ending in \r; keep the final "requests per second" lines.
    { time redis-benchmark -p "$port" -t ping -c 64 -n "$REQUESTS" -q >"$workdir/out" 2>/dev/null; } 2>"$workdir/time"
    after=$(server_cpu_ticks)
    redis_out=$(tr '\r' '\n' <"$workdir/out" | grep 'requests per second')
    redis_cpu_us=$(awk -v t="$((after - before))" -v hz="$clock_ticks" -v n="$((2 * REQUESTS))" \
        '{ printf "%.1f", (t / hz + $1 + $2) / n * 1e6 }' "$workdir/time")
}
redis_rate() {
    awk -v test="$1:" '$1 == test { printf "%d\n", $2 }' <<<"$redis_out"
}
# Sets ours_rate and ours_cpu_us for one executor mode.
ours_run() {
    local out
    out=$("$bench" --seconds "$SECONDS_PER_RUN" --connections 64 --executor "$1")
    ours_rate=$(awk '/round_trips_per_second/ { print $2 }' <<<"$out")
    ours_cpu_us=$(awk '/cpu_microseconds_per_round_trip/ { print $2 }' <<<"$out")
}

max() { if [ "$1" -gt "$2" ]; then echo "$1"; else echo "$2"; fi; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

best_loop=0; best_global=0; best_mbulk=0; best_inline=0
rate_ratios=(); cpu_ratios=(); ours_cpus=(); redis_cpus=()
for round in $(seq 1 "$ROUNDS"); do
    ours_run loop; loop=$ours_rate; loop_cpu=$ours_cpu_us
    ours_run global; global=$ours_rate; global_cpu=$ours_cpu_us
    redis_run
    mbulk=$(redis_rate PING_MBULK)
    inline=$(redis_rate PING_INLINE)
    echo "round $round: transport-bench loop-executor $loop/s ($loop_cpu us CPU each), global-executor $global/s ($global_cpu us);" \
        "redis-benchmark PING_MBULK $mbulk/s, PING_INLINE $inline/s ($redis_cpu_us us CPU each, server + client)"
    rate_ratios+=("$(awk -v a="$loop" -v r="$mbulk" 'BEGIN { printf "%.3f", a / r }')")
    cpu_ratios+=("$(awk -v a="$loop_cpu" -v r="$redis_cpu_us" 'BEGIN { printf "%.3f", a / r }')")
    ours_cpus+=("$loop_cpu"); redis_cpus+=("$redis_cpu_us")
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
    printf "ratio ours/redis, best throughput (PING_MBULK): %.2f (loop executor), %.2f (global executor)\n", a / r, b / r }'
echo "median of per-round throughput ratios ours/redis (loop executor / PING_MBULK): $(median "${rate_ratios[@]}")"
echo "median CPU per round trip: ours $(median "${ours_cpus[@]}") us, redis $(median "${redis_cpus[@]}") us;" \
    "median per-round ratio ours/redis $(median "${cpu_ratios[@]}") (below 1 = ours uses less CPU)"
bench_result ping-echo "$best_loop" redis-benchmark "$best_mbulk" round-trips/s higher
bench_result ping-echo-cpu "$(median "${ours_cpus[@]}")" redis-benchmark "$(median "${redis_cpus[@]}")" us/round-trip lower
