#!/usr/bin/env bash
# Runs `conformance ws` on Tests/Vectors/ws.jsonl (client frame streams: the RFC 6455 §5.7
# examples and every error case), fed whole and byte by byte, and compares each result line with
# Tests/Vectors/ws.expected.jsonl. Exits non-zero on any difference. The vectors are written by
# scripts/conformance/make-ws-vectors.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/install.sh
install_packages python3:python3

swift build --product conformance >/dev/null
bin="$(swift build --show-bin-path)/conformance"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for feed in whole bytewise; do
    "$bin" ws Tests/Vectors/ws.jsonl --feed "$feed" > "$work/$feed.jsonl"
    python3 scripts/conformance/compare-jsonl.py "ws conformance ($feed)" "$work/$feed.jsonl" Tests/Vectors/ws.expected.jsonl || status=1
done
exit $status
