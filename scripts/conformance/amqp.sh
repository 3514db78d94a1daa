#!/bin/sh
# Runs the AMQP 0-9-1 conformance vectors through the `conformance` runner:
#   1. decodes Tests/Vectors/amqp.jsonl whole and byte by byte; both must equal amqp.expected.jsonl;
#   2. re-encodes every complete vector's frames with `amqp-encode` and decodes the result again;
#      it must give the same frames.
set -eu
cd "$(dirname "$0")/../.."
swift build --product conformance >/dev/null
runner="$(swift build --show-bin-path)/conformance"
vectors=Tests/Vectors/amqp.jsonl
expected=Tests/Vectors/amqp.expected.jsonl
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for feed in whole bytewise; do
    "$runner" amqp "$vectors" --feed "$feed" >"$work/$feed.jsonl"
    if ! diff -u "$expected" "$work/$feed.jsonl"; then
        echo "amqp conformance: --feed $feed differs from $expected" >&2
        exit 1
    fi
done

grep '"end":"complete"' "$expected" >"$work/complete.jsonl"
"$runner" amqp-encode "$work/complete.jsonl" >"$work/encoded.jsonl"
"$runner" amqp "$work/encoded.jsonl" >"$work/redecoded.jsonl"
if ! diff -u "$work/complete.jsonl" "$work/redecoded.jsonl"; then
    echo "amqp conformance: encode then decode changed frames" >&2
    exit 1
fi
echo "amqp conformance: $(wc -l <"$vectors") vectors pass (whole, bytewise), $(wc -l <"$work/complete.jsonl") re-encoded"
