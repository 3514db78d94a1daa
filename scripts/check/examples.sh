#!/usr/bin/env bash
# The library examples (Examples/, one program per library): checks that the README's "Using the
# libraries" shows each one as it is, builds them, and runs each against the servers the test
# command started (REDIS_URL, AMQP_URL; the local defaults otherwise):
#   redis-example    sets and reads a key                      prints the value it read
#   amqp-example     publishes to and consumes example.jobs    prints the body it received
#   http-example     serves on a free port                     asked with curl: a path parameter,
#                                                              a 202, a 415, /livez
#   tracing-example  one span continuing a given traceparent   exported to OTLP_RECEIVER_URL when
#                                                              set (the receiver validates it)
# Exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { echo "examples: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

python3 - <<'PY'
import pathlib, re, sys
readme = pathlib.Path("README.md").read_text()
failed = False
for source in sorted(pathlib.Path("Examples/Sources").glob("*/main.swift")):
    # The block that follows the line naming the file.
    match = re.search(re.escape(str(source)) + r"[^\n]*\n+```swift\n(.*?)```", readme, re.S)
    if not match:
        print(f"examples: README.md shows no block after a line naming {source}", file=sys.stderr)
        failed = True
    elif match.group(1) != source.read_text():
        print(f"examples: README.md's block for {source} differs from the file", file=sys.stderr)
        failed = True
sys.exit(1 if failed else 0)
PY
say "README.md shows every example as it is"

swift build --package-path Examples
bin="$(swift build --package-path Examples --show-bin-path)"

out="$(timeout 60 "$bin/redis-example")" || fail "redis-example exited with $?"
echo "$out"
[[ "$out" == *"example:greeting = hello"* ]] || fail "redis-example did not read back what it set"

out="$(timeout 60 "$bin/amqp-example")" || fail "amqp-example exited with $?"
echo "$out"
[[ "$out" == *"published, ack"* && "$out" == *"received hello"* ]] || fail "amqp-example did not publish and receive its message"

port=18791
PORT=$port "$bin/http-example" &
http_pid=$!
trap 'kill "$http_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/livez" >/dev/null 2>&1 && break; sleep 0.1; done
[[ "$(curl -s "http://127.0.0.1:$port/hello/world")" == "hello world" ]] || fail "http-example: GET /hello/world"
[[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$port/orders")" == 202 ]] || fail "http-example: POST /orders as JSON is not 202"
[[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d 'x' "http://127.0.0.1:$port/orders")" == 415 ]] || fail "http-example: POST /orders as a form is not 415"
say "http-example answered GET /hello/world, a 202 and a 415"

parent_trace=4bf92f3577b34da6a3ce929d0e0e4736
out="$(OTEL_EXPORTER_OTLP_ENDPOINT="${OTLP_RECEIVER_URL:-}" TRACEPARENT="00-$parent_trace-00f067aa0ba902b7-01" timeout 60 "$bin/tracing-example")" ||
    fail "tracing-example exited with $?"
echo "$out"
[[ "$out" == *"traceparent 00-$parent_trace-"* ]] || fail "tracing-example did not continue the given trace"
say "all examples ran"
