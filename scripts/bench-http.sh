#!/usr/bin/env bash
# HTTP/1.1 request parser throughput next to nodejs/http-parser (C) in the same run.
# usage: scripts/bench-http.sh [ROUNDS=5] [REQUESTS=200000]
# Both parse the corpus of ../shared/bench/make-http-corpus.py in 16 KiB chunks, 5 passes per
# measurement; the two alternate ROUNDS times and the best of each is compared, since the
# machine is shared and single figures are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
requests="${2:-200000}"
shared="$(cd .. && pwd)/shared"
out=".build/bench"
mkdir -p "$out"

if [ ! -e /usr/include/http_parser.h ]; then
    apt-get update -qq && apt-get install -y -qq libhttp-parser-dev gcc python3
fi
corpus="$out/http-corpus-$requests.bin"
[ -s "$corpus" ] || python3 "$shared/bench/make-http-corpus.py" "$corpus" "$requests"
gcc -O2 -o "$out/http_parser_bench" "$shared/peers/c/http_parser_bench.c" -lhttp_parser
swift build -c release --product http-bench >/dev/null
ours="$(swift build -c release --show-bin-path)/http-bench"

field() { sed -n "s|.*$1=\([0-9.]*\).*|\1|p"; }
best_c=0; best_c_mb=0; best_s=0; best_s_mb=0
for round in $(seq "$rounds"); do
    c="$("$out/http_parser_bench" "$corpus" 5)"
    s="$("$ours" "$corpus" 5)"
    echo "round $round  http-parser: $c"
    echo "round $round  ours:        $s"
    rc="$(echo "$c" | field requests/s)"; rs="$(echo "$s" | field requests/s)"
    if awk "BEGIN{exit !($rc > $best_c)}"; then best_c=$rc; best_c_mb="$(echo "$c" | field MB/s)"; fi
    if awk "BEGIN{exit !($rs > $best_s)}"; then best_s=$rs; best_s_mb="$(echo "$s" | field MB/s)"; fi
done
echo "best of $rounds: http-parser (C) ${best_c} req/s ${best_c_mb} MB/s; ours ${best_s} req/s ${best_s_mb} MB/s"
awk "BEGIN{printf \"ratio ours/http-parser: %.2fx\n\", $best_s / $best_c}"
