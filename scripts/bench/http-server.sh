#!/usr/bin/env bash
# HTTP server throughput with wrk: POST /orders answered 202 with no backend, by our server
# (http-server-bench), Go net/http (Benchmarks/peers/go/hello) and nginx
# (Benchmarks/peers/nginx/nginx.conf), one after another in each round, in the same run.
# usage: scripts/bench/http-server.sh [ROUNDS=3] [DURATION=10s]
# Prints each wrk result, then the best req/s of each server with its p99 latency, and ratios,
# with RESULT lines for scripts/bench.sh. Installs wrk, nginx-light, golang-go and curl when
# missing; the Go peer is built and nginx runs under .build-bench/.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
duration="${2:-10s}"
lua="$PWD/Benchmarks/peers/wrk/orders.lua"
. scripts/lib/bench.sh

bench_need wrk:wrk nginx-light:nginx curl:curl
go_hello=$(bench_go_peer hello)
swift build --package-path Benchmarks -c release --product http-server-bench >/dev/null
ours_bin="$(swift build --package-path Benchmarks -c release --show-bin-path)/http-server-bench"
nginx_prefix="$BENCH_OUT/nginx"
mkdir -p "$nginx_prefix"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$nginx_prefix/nginx.pid" ] && kill -QUIT "$(cat "$nginx_prefix/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

"$ours_bin" --port 18082 >/dev/null & pids+=($!)
"$go_hello" -listen 127.0.0.1:18081 & pids+=($!)
nginx -p "$nginx_prefix/" -e error.log -c "$PWD/Benchmarks/peers/nginx/nginx.conf"
for port in 18080 18081 18082; do
    for _ in $(seq 50); do
        curl -s -o /dev/null -X POST "http://127.0.0.1:$port/orders" && break
        sleep 0.1
    done
done

declare -A best_rps best_p99
for name in ours go nginx; do best_rps[$name]=0; best_p99[$name]=-; done
port_of() { case "$1" in ours) echo 18082;; go) echo 18081;; nginx) echo 18080;; esac; }

for round in $(seq "$rounds"); do
    for name in ours go nginx; do
        result="$(wrk -t2 -c64 -d"$duration" --latency -s "$lua" "http://127.0.0.1:$(port_of $name)/orders")"
        rps="$(echo "$result" | awk '/Requests\/sec/ {print $2}')"
        p99="$(echo "$result" | awk '$1 == "99%" {print $2}')"
        errors="$(echo "$result" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ' || true)"
        echo "round $round  $name: $rps req/s  p99 $p99  $errors"
        if awk "BEGIN{exit !($rps > ${best_rps[$name]})}"; then best_rps[$name]=$rps; best_p99[$name]=$p99; fi
    done
done

echo "best of $rounds (wrk -t2 -c64 -d$duration):"
for name in ours go nginx; do echo "  $name: ${best_rps[$name]} req/s, p99 ${best_p99[$name]}"; done
awk "BEGIN{printf \"ratio ours/go: %.2fx  ours/nginx: %.2fx\n\", ${best_rps[ours]} / ${best_rps[go]}, ${best_rps[ours]} / ${best_rps[nginx]}}"
bench_result http-server "${best_rps[ours]}" go-net/http "${best_rps[go]}" req/s higher
bench_result http-server "${best_rps[ours]}" nginx "${best_rps[nginx]}" req/s higher
