#!/bin/sh
# Runs the RESP conformance vectors through the shipped runner, fed whole and byte by byte, and
# compares the output with the expected results. Exits non-zero on any difference.
set -eu
cd "$(dirname "$0")/../.."
swift build --product conformance
runner=.build/debug/conformance
vectors=Tests/Vectors
status=0
for feed in whole bytewise; do
    if "$runner" resp "$vectors/resp.jsonl" --feed "$feed" | diff -u "$vectors/resp.expected.jsonl" -; then
        echo "resp (--feed $feed): ok"
    else
        echo "resp (--feed $feed): differs from $vectors/resp.expected.jsonl"
        status=1
    fi
done
if "$runner" resp-encode "$vectors/resp-encode.jsonl" | diff -u "$vectors/resp-encode.expected.jsonl" -; then
    echo "resp-encode: ok"
else
    echo "resp-encode: differs from $vectors/resp-encode.expected.jsonl"
    status=1
fi
exit $status
