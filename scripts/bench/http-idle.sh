#!/usr/bin/env bash
# Idle keep-alive capacity: a client process (http-idle-bench client) opens CONNECTIONS keep-alive
# connections to a server, each sending one POST /orders and then staying idle; with those held,
# 64 more connections send orders for LOAD_SECONDS; finally every idle connection sends another
# order. Measured for our server (http-idle-bench server) and Go net/http
# (Benchmarks/peers/go/hello) back to back in each round, the same client for both.
# Reports the server's RSS (VmRSS) before and with the idle connections, bytes per idle
# connection, and the requests served meanwhile, with RESULT lines for scripts/bench.sh.
# Installs golang-go and curl when missing, and builds the peer into .build-bench/.
# usage: scripts/bench/http-idle.sh [ROUNDS=3] [CONNECTIONS=10000] [LOAD_SECONDS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
connections="${2:-10000}"
load_seconds="${3:-5}"
out="$PWD/.build/bench"
mkdir -p "$out"
. scripts/lib/bench.sh

bench_need curl:curl
go_hello=$(bench_go_peer hello)
swift build --package-path Benchmarks -c release --product http-idle-bench >/dev/null
bench="$(swift build --package-path Benchmarks -c release --show-bin-path)/http-idle-bench"

# Each process holds one descriptor per connection; the benchmark raises its soft limit to the
# hard limit, which must leave room for the idle connections, the load ones and a few more.
hard="$(ulimit -Hn)"
if [ "$hard" != unlimited ] && [ "$hard" -lt $((connections + 200)) ]; then
    ulimit -Hn $((connections + 200)) 2>/dev/null || { echo "open-file hard limit $hard is below $((connections + 200))" >&2; exit 1; }
fi
# The client's connections take ephemeral ports; closed ones linger in TIME_WAIT between rounds.
echo "client ports: $(cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' -), tcp_tw_reuse $(cat /proc/sys/net/ipv4/tcp_tw_reuse)"

server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

wait_until_serving() {
    for _ in $(seq 100); do
        curl -s -o /dev/null -X POST "http://127.0.0.1:$1/orders" && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    exit 1
}

results="$out/http-idle-results.txt"
: >"$results"
for round in $(seq "$rounds"); do
    for name in ours go; do
        case "$name" in
            ours)
                port=18083
                "$bench" server --port "$port" --idle-timeout 600 --max-connections $((connections + 1000)) >/dev/null &
                count_path=/connections ;;
            go)
                # Go net/http sets no idle timeout and no connection limit by default.
                port=18091
                "$go_hello" -listen "127.0.0.1:$port" &
                count_path="" ;;
        esac
        server_pid=$!
        wait_until_serving "$port"
        echo "== round $round: $name"
        "$bench" client --name "$name" --port "$port" --server-pid "$server_pid" --connections "$connections" \
            --load-connections 64 --load-seconds "$load_seconds" --count-path "$count_path" | tee -a "$results" | grep -v '^RESULT'
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    done
done

# Medians over the rounds of each figure, per server, then ours against Go; the last line,
# "medians ...", is for the RESULT lines.
summary=$(awk -v rounds="$rounds" '
    /^RESULT/ {
        name = ""
        for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "name") name = kv[2] }
        n[name]++
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[name, kv[1], n[name]] = kv[2] }
    }
    function median(name, key,    i, j, t, a, c) {
        c = n[name]
        for (i = 1; i <= c; i++) a[i] = v[name, key, i] + 0
        for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
    }
    function worst(name, key,    i, m) {
        m = v[name, key, 1] + 0
        for (i = 2; i <= n[name]; i++) if (v[name, key, i] + 0 < m) m = v[name, key, i] + 0
        return m
    }
    END {
        printf "median of %d rounds:\n", rounds
        for (k = 1; k <= 2; k++) {
            name = k == 1 ? "ours" : "go"
            printf "  %-4s RSS %.1f MiB before, %.1f MiB with %d idle: %.0f bytes per idle connection; " \
                   "served meanwhile %.0f req/s, p50 %.3f ms, p99 %.3f ms; fewest still open %d/%d, load errors (median) %d\n",
                   name, median(name, "rss_before_kib") / 1024, median(name, "rss_with_kib") / 1024, median(name, "opened"),
                   median(name, "per_conn_bytes"), median(name, "rps"), median(name, "p50_ms"), median(name, "p99_ms"),
                   worst(name, "still_open"), median(name, "connections"), median(name, "load_errors")
        }
        printf "ratio ours/go: bytes per idle connection %.2fx, req/s while holding them %.2fx\n",
               median("ours", "per_conn_bytes") / median("go", "per_conn_bytes"), median("ours", "rps") / median("go", "rps")
        printf "medians %.0f %.0f %.0f %.0f\n", median("ours", "per_conn_bytes"), median("go", "per_conn_bytes"),
               median("ours", "rps"), median("go", "rps")
    }' "$results")
echo "$summary" | grep -v '^medians '
set -- $(echo "$summary" | sed -n 's/^medians //p')
bench_result idle-bytes-per-connection "$1" go-net/http "$2" bytes/connection lower
bench_result idle-served-while-holding "$3" go-net/http "$4" req/s higher
