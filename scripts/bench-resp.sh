#!/bin/sh
# RESP decoder throughput next to hiredis's reply reader on the same corpus, in the same run.
# Both decode the corpus in 16 KiB chunks; they run back to back for several rounds and the
# best round of each is compared, because the shared machines are noisy.
# Usage: scripts/bench-resp.sh [ROUNDS]   (default 5)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-5}
work=${TMPDIR:-/tmp}/resp-bench
mkdir -p "$work"

# Installs a missing package with apt-get when running as root; otherwise says what to install.
need_package() {
    dpkg -s "$1" >/dev/null 2>&1 && return
    if [ "$(id -u)" != 0 ]; then
        echo "bench-resp.sh: package $1 is missing; install it with: sudo apt-get install -y $1" >&2
        exit 1
    fi
    apt-get update -qq && apt-get install -y -qq "$1"
}
need_package libhiredis-dev
need_package gcc
need_package python3

corpus=$work/corpus.resp
[ -f "$corpus" ] || python3 ../shared/bench/make-resp-corpus.py "$corpus"
gcc -O2 -o "$work/hiredis_reader_bench" ../shared/peers/c/hiredis_reader_bench.c -lhiredis
swift build -c release --product resp-bench >/dev/null
ours=.build/release/resp-bench

: >"$work/hiredis.txt"
: >"$work/ours.txt"
i=1
while [ "$i" -le "$rounds" ]; do
    "$work/hiredis_reader_bench" "$corpus" 5 | tee -a "$work/hiredis.txt" | sed 's/^/hiredis   /'
    "$ours" decode "$corpus" 5 | tee -a "$work/ours.txt" | sed 's/^/RESP      /'
    i=$((i + 1))
done

best() { sed 's/.*replies\/s=\([0-9]*\) MB\/s=\([0-9.]*\).*/\1 \2/' "$1" | sort -n | tail -1; }
set -- $(best "$work/hiredis.txt") $(best "$work/ours.txt")
echo "best of $rounds: hiredis $1 replies/s ($2 MB/s), RESP $3 replies/s ($4 MB/s)"
awk -v peer="$1" -v ours="$3" 'BEGIN { printf "ratio RESP/hiredis: %.2fx\n", ours / peer }'
