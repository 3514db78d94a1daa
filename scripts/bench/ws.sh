#!/usr/bin/env bash
# WebSocket frame decoder throughput (ws-bench): masked client frames decoded in 16 KiB chunks,
# next to a plain copy of the same bytes in the same run, which bounds it (decoding unmasks while
# it copies payloads). The two alternate ROUNDS times and the best of each is printed, since the
# machine is shared and single figures are noisy.
# usage: scripts/bench/ws.sh [ROUNDS=5] [MEGABYTES=32]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-5}"
megabytes="${2:-32}"
swift build --package-path Benchmarks -c release --product ws-bench >/dev/null
bench="$(swift build --package-path Benchmarks -c release --show-bin-path)/ws-bench"

field() { sed -n "s|.*$1=\([0-9.]*\).*|\1|p"; }
best=0; best_copy=0; best_frames=0
for round in $(seq "$rounds"); do
    line="$("$bench" "$megabytes" 5)"
    echo "round $round  $line"
    best="$(echo "$line" | field 'MB/s' | awk -v b="$best" '{ print ($1 > b) ? $1 : b }')"
    best_frames="$(echo "$line" | field 'frames/s' | awk -v b="$best_frames" '{ print ($1 > b) ? $1 : b }')"
    best_copy="$(echo "$line" | field 'copy_MB/s' | awk -v b="$best_copy" '{ print ($1 > b) ? $1 : b }')"
done
echo "best: decode ${best} MB/s (${best_frames} frames/s), copy ${best_copy} MB/s, decode/copy $(awk -v a="$best" -v b="$best_copy" 'BEGIN { printf "%.2f", a / b }')"
