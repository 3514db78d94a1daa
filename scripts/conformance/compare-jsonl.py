#!/usr/bin/env python3
"""Compares a conformance run's output with the expected results, line by line, as JSON values
(so spacing and key order do not matter). Prints each difference and a summary; exits 1 on any.

Usage: scripts/conformance/compare-jsonl.py LABEL ACTUAL EXPECTED
"""
import json
import sys

label, actual_path, expected_path = sys.argv[1:]
actual = [json.loads(line) for line in open(actual_path) if line.strip()]
expected = [json.loads(line) for line in open(expected_path) if line.strip()]
failures = 0
if len(actual) != len(expected):
    print(f"{label}: {len(actual)} results for {len(expected)} vectors")
    failures += 1
for a, e in zip(actual, expected):
    if a != e:
        failures += 1
        print(f"{label}: {e['id']}\n  expected {json.dumps(e, sort_keys=True)[:400]}\n  actual   {json.dumps(a, sort_keys=True)[:400]}")
print(f"{label}: {len(expected) - failures}/{len(expected)} vectors match")
sys.exit(1 if failures else 0)
