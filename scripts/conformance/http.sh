#!/usr/bin/env bash
# Runs `conformance http` on Tests/Vectors/http.jsonl, fed whole and byte by byte, and compares
# each result line with Tests/Vectors/http.expected.jsonl. Exits non-zero on any difference.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/install.sh
install_packages python3:python3

swift build --product conformance >/dev/null
bin="$(swift build --show-bin-path)/conformance"
status=0
for feed in whole bytewise; do
    "$bin" http Tests/Vectors/http.jsonl --feed "$feed" > "${TMPDIR:-/tmp}/http-conformance-$feed.jsonl"
    python3 scripts/conformance/compare-jsonl.py "http conformance ($feed)" "${TMPDIR:-/tmp}/http-conformance-$feed.jsonl" \
        Tests/Vectors/http.expected.jsonl || status=1
done
exit $status
