#!/usr/bin/env bash
# The cost of a span on a request's path: a span the sampler drops against one it records (and
# disabled tracing), with the attributes and event a request span carries, and the OTLP JSON
# encoding per span. Builds tracing-bench in release mode and runs it ROUNDS times (default 3).
#
#   scripts/bench/tracing.sh [ROUNDS] [SPANS_PER_ROUND]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds="${1:-3}"
spans="${2:-200000}"
swift build --package-path Benchmarks -c release --product tracing-bench >&2
for ((run = 1; run <= rounds; run++)); do
    echo "== run $run of $rounds"
    Benchmarks/.build/release/tracing-bench "$spans"
done
