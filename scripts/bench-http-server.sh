#!/usr/bin/env bash
# HTTP server throughput with wrk: POST /orders answered 202 with no backend, by our server
# (http-server-bench), Go net/http (../shared/peers/go/hello) and nginx
# (../shared/peers/nginx/nginx.conf), one after another in each round, in the same run.
# usage: scripts/bench-http-server.sh [ROUNDS=3] [DURATION=10s]
# Prints each wrk result, then the best req/s of each server with its p99 latency, and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
duration="${2:-10s}"
shared="$(cd .. && pwd)/shared"
out="$PWD/.build/bench"
mkdir -p "$out"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v go >/dev/null || need+=(golang-go)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}"; fi

swift build -c release --product http-server-bench >/dev/null
ours_bin="$(swift build -c release --show-bin-path)/http-server-bench"
(cd "$shared/peers" && GOPATH=/usr/share/gocode GO111MODULE=off go build -o "$out/go-hello" ./go/hello)

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f /tmp/peer-nginx.pid ] && kill -QUIT "$(cat /tmp/peer-nginx.pid)" 2>/dev/null || true
}
trap cleanup EXIT

"$ours_bin" --port 18082 >/dev/null & pids+=($!)
"$out/go-hello" -listen 127.0.0.1:18081 & pids+=($!)
nginx -c "$shared/peers/nginx/nginx.conf"
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
        result="$(wrk -t2 -c64 -d"$duration" --latency -s "$shared/peers/wrk/orders.lua" "http://127.0.0.1:$(port_of $name)/orders")"
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
