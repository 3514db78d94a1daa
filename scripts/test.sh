#!/usr/bin/env bash
# The project's test command: installs the servers when missing, starts them (reusing any that
# already answer), builds, runs every test against the real servers, the conformance vectors
# through the shipped runner, a short seeded fuzz pass, the WebSocket interop check (Python's
# websockets client), the live dashboard in websockets and headless Chromium, the AMQP interop
# and recovery checks and the short fault-injection run,
# validates docker-compose.yml and the Kubernetes manifests, and stops on exit exactly the
# servers it started (and the OTLP test receiver, scripts/interop/otlp-receiver.sh, likewise). Exits
# non-zero when any step fails.
#
# Environment:
#   CI            true: server tests fail instead of being skipped when a server is unreachable,
#                 and compiler warnings fail the build step
#   TEST_SERVERS  which servers to start: all (default), redis, rabbitmq, none
#   REDIS_PORT, AMQP_PORT, RABBITMQ_NODE, ...   passed to scripts/servers.sh (see there)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TEST_SERVERS="${TEST_SERVERS:-all}"
export CI="${CI:-}"

SERVERS_STARTED=""
OTLP_RECEIVER_STARTED=""
CURRENT_STEP="setup"
BUILD_LOG="$(mktemp)"

cleanup() {
    local status=$?
    if [[ -n "$SERVERS_STARTED" ]]; then
        echo "== stopping the servers this run started: $SERVERS_STARTED"
        # shellcheck disable=SC2086 # a list of names
        scripts/servers.sh stop $SERVERS_STARTED || status=1
    fi
    if [[ -n "$OTLP_RECEIVER_STARTED" ]]; then
        scripts/interop/otlp-receiver.sh stop || status=1
    fi
    rm -f "$BUILD_LOG"
    if [[ $status == 0 ]]; then echo "== all steps passed"; else echo "== FAILED in step '$CURRENT_STEP' (exit $status)"; fi
    exit "$status"
}
trap cleanup EXIT

# step NAME COMMAND...: runs one step, announcing it and how long it took.
step() {
    local name="$1" start=$SECONDS
    shift
    CURRENT_STEP="$name"
    echo "== $name"
    "$@"
    echo "== $name: ok ($((SECONDS - start)) s)"
}

toolchain() {
    if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null 2>&1 || { echo "swift not found: install the Swift 6.3 toolchain (e.g. in /opt/swift)" >&2; return 1; }
    swift --version 2>&1 | head -n 1
}

servers() {
    local exports status=0
    if [[ "$TEST_SERVERS" == none ]]; then
        echo "TEST_SERVERS=none: starting no servers"
        return 0
    fi
    # shellcheck disable=SC2086 # a list of names
    exports="$(scripts/servers.sh start $TEST_SERVERS)" || status=$?
    eval "$exports"
    return "$status"
}

# The OTLP/HTTP JSON receiver the tracing tests export to; it validates each export against the
# opentelemetry-proto schema (installed from PyPI into .local/ on first use).
otlp_receiver() {
    local exports
    exports="$(scripts/interop/otlp-receiver.sh start)"
    eval "$exports"
}

# build [PACKAGE-PATH]: builds a package with its tests (the root package by default).
build() {
    swift build --package-path "${1:-.}" --build-tests 2>&1 | tee "$BUILD_LOG"
    local warnings
    warnings="$(grep -c ': warning: ' "$BUILD_LOG" || true)"
    if [[ "$warnings" != 0 ]]; then
        echo "swift build printed $warnings warning(s):"
        grep ': warning: ' "$BUILD_LOG" | sort -u
        # Only a clean build (as in CI) prints every warning, so locally they are reported, not fatal.
        [[ "$CI" != true ]]
    fi
}

# The Benchmarks package (benchmarks, the chaos tool, the fuzzer) is built so it cannot rot, and
# its tests (the fuzzer's short passes) run.
benchmarks_package() {
    build Benchmarks
    swift test --package-path Benchmarks --skip-build
}

# The byte-level suites (every vector fed whole, byte by byte and split at every position) keep a
# core busy. Run together with the socket tests, they hold the cooperative pool's threads (one
# per core) while the socket tests' timers run; so they run first, on their own. They are the
# test targets named *CodecTests (a module's codecs, state machines and vectors), BytesTests and
# ConformanceTests: a suite added to one of those targets is picked up without naming it here.
BYTE_LEVEL_TARGETS='^(BytesTests|ConformanceTests|[A-Za-z0-9]+CodecTests)\.'

unit_and_integration_tests() {
    echo "REDIS_URL=${REDIS_URL:-unset} AMQP_URL=${AMQP_URL:-unset} OTLP_RECEIVER_URL=${OTLP_RECEIVER_URL:-unset} CI=${CI:-unset}"
    echo "-- byte-level targets (no sockets, servers or timers)"
    swift test --skip-build --filter "$BYTE_LEVEL_TARGETS"
    echo "-- socket, server and pipeline targets (the Redis Sentinel and Cluster suites run in their own step)"
    swift test --skip-build --skip "$BYTE_LEVEL_TARGETS" --skip 'TopologyTests'
}

conformance_vectors() {
    scripts/conformance/all.sh
}

# Validates docker-compose.yml (schema, anchors, depends_on conditions) with Debian's
# docker-compose, which needs no Docker engine for `config`; installed when missing. Once for the
# default topology (.env) and once for each topology file of deploy/compose/.
compose_file() {
    if ! command -v docker-compose >/dev/null 2>&1; then
        [[ $EUID == 0 ]] || { echo "docker-compose is missing; install it (apt-get install docker-compose) or run as root" >&2; return 1; }
        { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose; } >/dev/null
    fi
    docker-compose -f docker-compose.yml config -q
    for topology in deploy/compose/*.env; do
        docker-compose --env-file "$topology" -f docker-compose.yml config -q
    done
}

step "toolchain" toolchain
step "compose file" compose_file
step "kubernetes manifests" deploy/k8s/validate.sh
step "servers" servers
step "otlp receiver" otlp_receiver
step "build" build
step "tests" unit_and_integration_tests
step "conformance" conformance_vectors
step "benchmarks package (build, fuzzer tests)" benchmarks_package
step "fuzz (short, seeded)" scripts/conformance/fuzz.sh --short
# Python's websockets client against a loopback echo server of the WebSocket codec.
step "websocket interop" scripts/interop/ws.sh
if [[ "$TEST_SERVERS" == all || "$TEST_SERVERS" == redis ]]; then
    # Failovers, kill -9 and resharding, on a Sentinel set and a Cluster of its own ports.
    step "redis sentinel and cluster" scripts/interop/redis-ha.sh
fi
if [[ "$TEST_SERVERS" == all || "$TEST_SERVERS" == rabbitmq ]]; then
    step "amqp interop" scripts/interop/amqp.sh
    # Blocks, stops and kills brokers of its own (two nodes on other ports), never the shared one.
    step "amqp recovery" scripts/interop/amqp-recovery.sh
fi
if [[ "$TEST_SERVERS" == all ]]; then
    # The live dashboard in Python's websockets client and in headless Chromium (Selenium), on
    # servers and ports of its own; the screenshot goes to .local/artifacts/dashboard.png.
    step "dashboard in real clients" scripts/interop/dashboard.sh
    # Fault scenarios and HTTP abuse, short form, on servers and ports of their own.
    step "chaos (short)" scripts/chaos/chaos.sh --short
fi
