#!/usr/bin/env bash
# HTTP/1.1 request parser throughput next to nodejs/http-parser (C) in the same run.
# usage: scripts/bench/http.sh [ROUNDS=5] [REQUESTS=200000]
# Both parse the corpus of Benchmarks/corpus/http-requests.py in 16 KiB chunks, 5 passes per
# measurement; the two alternate ROUNDS times and the best of each is compared, since the
# machine is shared and single figures are noisy. Ends with a RESULT line for scripts/bench.sh.
# Installs libhttp-parser-dev, gcc and python3 when missing; the peer
# (Benchmarks/peers/c/http-parser.c) and the corpus are built into .build-bench/.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-5}"
requests="${2:-200000}"
. scripts/lib/bench.sh

corpus=$(bench_corpus http-requests "$requests")
peer=$(bench_c_peer http-parser http_parser libhttp-parser-dev:/usr/include/http_parser.h)
swift build --package-path Benchmarks -c release --product http-bench >/dev/null
ours="$(swift build --package-path Benchmarks -c release --show-bin-path)/http-bench"

field() { sed -n "s|.*$1=\([0-9.]*\).*|\1|p"; }
best_c=0; best_c_mb=0; best_s=0; best_s_mb=0
for round in $(seq "$rounds"); do
    c="$("$peer" "$corpus" 5)"
    s="$("$ours" "$corpus" 5)"
    echo "round $round  http-parser: $c"
    echo "round $round  ours:        $s"
    rc="$(echo "$c" | field requests/s)"; rs="$(echo "$s" | field requests/s)"
    if awk "BEGIN{exit !($rc > $best_c)}"; then best_c=$rc; best_c_mb="$(echo "$c" | field MB/s)"; fi
    if awk "BEGIN{exit !($rs > $best_s)}"; then best_s=$rs; best_s_mb="$(echo "$s" | field MB/s)"; fi
done
echo "best of $rounds: http-parser (C) ${best_c} req/s ${best_c_mb} MB/s; ours ${best_s} req/s ${best_s_mb} MB/s"
awk "BEGIN{printf \"ratio ours/http-parser: %.2fx\n\", $best_s / $best_c}"
bench_result http-parse "$best_s" http-parser "$best_c" requests/s higher
