#!/usr/bin/env bash
# Fuzzes the RESP, AMQP, HTTP and WebSocket decoders with seeded, reproducible inputs.
#   scripts/conformance/fuzz.sh [COUNT] [SEED]   release build, COUNT inputs per decoder (default 100000),
#                                    SEED by default the current time (printed, so reproducible)
#   scripts/conformance/fuzz.sh --short [SEED]   CI pass: 5000 inputs per decoder, debug build (no release
#                                    compile of every module, so it stays well under two minutes),
#                                    SEED by default 1 so CI runs are identical
# A failing input is printed as hex, written under fuzz-failures/, and the script exits non-zero;
# `fuzz TARGET --seed SEED --only INDEX` reproduces it.
set -euo pipefail
cd "$(dirname "$0")/../.."

count=100000
configuration=release
seed="$(date +%s)"
if [[ "${1:-}" == "--short" ]]; then
    count=5000
    configuration=debug
    seed=1
    shift
elif [[ $# -gt 0 ]]; then
    count="$1"
    shift
fi
seed="${1:-$seed}"

if ! command -v swift >/dev/null; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

swift build --package-path Benchmarks -c "$configuration" --product fuzz
bin="$(swift build --package-path Benchmarks -c "$configuration" --show-bin-path)/fuzz"
time "$bin" all --seed "$seed" --count "$count" --vectors Tests/Vectors --out fuzz-failures
