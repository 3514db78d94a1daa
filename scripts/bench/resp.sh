#!/bin/sh
# RESP decoder throughput next to hiredis's reply reader on the same corpus, in the same run.
# Both decode the corpus in 16 KiB chunks; they run back to back for several rounds and the
# best round of each is compared, because the shared machines are noisy. Ends with a RESULT line
# for scripts/bench.sh. Installs libhiredis-dev, gcc and python3 when missing; the peer
# (Benchmarks/peers/c/hiredis-reader.c) and the corpus (Benchmarks/corpus/resp-replies.py) are
# built into .build-bench/.
# Usage: scripts/bench/resp.sh [ROUNDS]   (default 5)
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-5}
work=${TMPDIR:-/tmp}/resp-bench
mkdir -p "$work"
. scripts/lib/bench.sh

corpus=$(bench_corpus resp-replies 200000)
peer=$(bench_c_peer hiredis-reader hiredis libhiredis-dev)
swift build --package-path Benchmarks -c release --product resp-bench >/dev/null
ours=Benchmarks/.build/release/resp-bench

: >"$work/hiredis.txt"
: >"$work/ours.txt"
i=1
while [ "$i" -le "$rounds" ]; do
    "$peer" "$corpus" 5 | tee -a "$work/hiredis.txt" | sed 's/^/hiredis   /'
    "$ours" decode "$corpus" 5 | tee -a "$work/ours.txt" | sed 's/^/RESP      /'
    i=$((i + 1))
done

best() { sed 's/.*replies\/s=\([0-9]*\) MB\/s=\([0-9.]*\).*/\1 \2/' "$1" | sort -n | tail -1; }
set -- $(best "$work/hiredis.txt") $(best "$work/ours.txt")
echo "best of $rounds: hiredis $1 replies/s ($2 MB/s), RESP $3 replies/s ($4 MB/s)"
awk -v peer="$1" -v ours="$3" 'BEGIN { printf "ratio RESP/hiredis: %.2fx\n", ours / peer }'
bench_result resp-decode "$3" hiredis "$1" replies/s higher
