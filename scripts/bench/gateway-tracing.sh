#!/usr/bin/env bash
# What tracing costs the gateway: wrk load on POST /orders of the gateway (release build) with
# tracing off (OTEL_SDK_DISABLED=true) and with every request traced (OTEL_TRACES_SAMPLER=
# always_on, spans exported as OTLP/HTTP JSON to an nginx sink that accepts and drops them,
# Benchmarks/peers/nginx/otlp-sink.conf), in the same run, rounds alternating off and on. The
# processor and notifier run untraced throughout, consuming what the gateway publishes.
#
#   scripts/bench/gateway-tracing.sh [DURATION=15s] [CONNECTIONS=64]
#
# Per round and mode it prints accepted/s (wrk's responses minus its non-2xx count over its run),
# wrk's p50/p99, and for the traced gateway the spans it exported and dropped (its
# tracing_spans_* gauges): a full export queue drops spans rather than block a request. Then the
# median accepted/s of each mode and their ratio (goal: traced >= 0.9x off).
#
# Environment: ROUNDS [3], THREADS [2], GATEWAY_TRACING_BENCH_REDIS_PORT [16590],
# GATEWAY_TRACING_BENCH_AMQP_PORT [5790] (node gtbench@localhost),
# GATEWAY_TRACING_BENCH_BASE_PORT [18290] (the services' HTTP ports; the sink listens on 18299).
# Servers it starts are stopped at the end. Installs wrk, nginx-light, curl and redis-tools when
# missing (as root).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

DURATION="${1:-15s}"
CONNECTIONS="${2:-64}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-2}"
LUA="$ROOT/Benchmarks/peers/wrk/orders.lua"
SINK_PORT=18299
say() { echo "gateway-tracing-bench: $*" >&2; }

. scripts/lib/bench.sh
bench_need wrk:wrk nginx-light:nginx curl:curl redis-tools:redis-cli
. scripts/lib/services.sh
sink_prefix="$BENCH_OUT/otlp-sink"
WORK="$(mktemp -d)"
cleanup() {
    [[ ! -f "$sink_prefix/nginx.pid" ]] || kill -QUIT "$(cat "$sink_prefix/nginx.pid")" 2>/dev/null || true
    services_cleanup
    rm -rf "$WORK"
}
trap cleanup EXIT

say "building the services (release)"
services_build release >/dev/null
services_servers gtbench "${GATEWAY_TRACING_BENCH_REDIS_PORT:-16590}" "${GATEWAY_TRACING_BENCH_AMQP_PORT:-5790}"
services_ports "${GATEWAY_TRACING_BENCH_BASE_PORT:-18290}"
mkdir -p "$sink_prefix"
nginx -p "$sink_prefix/" -e error.log -c "$ROOT/Benchmarks/peers/nginx/otlp-sink.conf"
redis-cli -p "$REDIS_PORT" SET inventory:bench-sku 1000000000 >/dev/null
OTEL_SDK_DISABLED=true services_start processor notifier
services_wait_ready "$PROCESSOR_PORT" "$NOTIFIER_PORT"

# gauge NAME: a gauge of the running gateway's Prometheus page.
gauge() {
    curl -s "http://127.0.0.1:$GATEWAY_PORT/metrics/prometheus" | awk -v name="$1" '$1 == name { printf "%d", $2; found = 1 } END { if (!found) printf "0" }'
}

RESULTS="$WORK/results"
: >"$RESULTS"
for ((round = 1; round <= ROUNDS; round++)); do
    for mode in off on; do
        if [[ "$mode" == off ]]; then
            OTEL_SDK_DISABLED=true services_start gateway
        else
            OTEL_TRACES_SAMPLER=always_on OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" services_start gateway
        fi
        services_wait_ready "$GATEWAY_PORT"
        say "round $round, tracing $mode: wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
        out="$WORK/$mode-$round.wrk"
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "http://127.0.0.1:$GATEWAY_PORT/orders" -- "t$mode$(date +%s%N)" >"$out" 2>&1
        spans="-"
        # The export runs in the background: give the last batch its flush interval.
        [[ "$mode" == off ]] || { sleep 6; spans="$(gauge tracing_spans_exported) exported, $(gauge tracing_spans_dropped) dropped"; }
        requests=$(wrk_field "$out" requests) non2xx=$(wrk_field "$out" non2xx) seconds=$(wrk_field "$out" seconds)
        printf '%s %d %s %s %s %s\n' "$mode" "$round" \
            "$(awk -v r="$requests" -v n="$non2xx" -v s="$seconds" 'BEGIN { printf "%.0f", (r - n) / s }')" \
            "$(wrk_field "$out" p50)" "$(wrk_field "$out" p99)" "$spans" >>"$RESULTS"
        services_stop gateway
    done
done

echo "== gateway, tracing off vs every request traced (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds)"
printf '%-8s %-6s %12s %9s %9s  %s\n' tracing round accepted/s p50_ms p99_ms spans
while read -r mode round rate p50 p99 spans; do
    printf '%-8s %-6s %12s %9s %9s  %s\n' "$mode" "$round" "$rate" "$p50" "$p99" "$spans"
done <"$RESULTS"
median() { awk -v m="$1" '$1 == m { print $3 }' "$RESULTS" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
off=$(median off)
on=$(median on)
echo "median accepted/s: off $off, traced $on; traced/off $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }')x (goal >= 0.9x)"
