#!/usr/bin/env bash
# Runs `conformance http` on Tests/Vectors/http.jsonl, fed whole and byte by byte, and compares
# each result line with Tests/Vectors/http.expected.jsonl. Exits non-zero on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3; }

swift build --product conformance >/dev/null
bin="$(swift build --show-bin-path)/conformance"
status=0
for feed in whole bytewise; do
    "$bin" http Tests/Vectors/http.jsonl --feed "$feed" > "${TMPDIR:-/tmp}/http-conformance-$feed.jsonl"
    python3 - "$feed" "${TMPDIR:-/tmp}/http-conformance-$feed.jsonl" Tests/Vectors/http.expected.jsonl <<'PY' || status=1
import json, sys
feed, actual_path, expected_path = sys.argv[1:]
actual = [json.loads(l) for l in open(actual_path) if l.strip()]
expected = [json.loads(l) for l in open(expected_path) if l.strip()]
failures = 0
if len(actual) != len(expected):
    print(f"{feed}: {len(actual)} results for {len(expected)} vectors"); failures += 1
for a, e in zip(actual, expected):
    if a != e:
        failures += 1
        print(f"{feed}: {e['id']}\n  expected {json.dumps(e, sort_keys=True)[:400]}\n  actual   {json.dumps(a, sort_keys=True)[:400]}")
print(f"http conformance ({feed}): {len(expected) - failures}/{len(expected)} vectors match")
sys.exit(1 if failures else 0)
PY
done
exit $status
