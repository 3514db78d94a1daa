#!/usr/bin/env bash
# The project's test command: installs the servers when missing, starts them (reusing any that
# already answer), builds, runs every test against the real servers, the conformance vectors
# through the shipped runner, the command-line checks (--help of every tool, scripts/run.sh
# stopped by its pid), a short seeded fuzz pass, the WebSocket interop check (Python's websockets
# client), the live dashboard in websockets and headless Chromium, the Redis Sentinel and Cluster
# tests, the AMQP interop and recovery checks, the README's library examples (Examples/) and the
# short fault-injection run, validates docker-compose.yml and the Kubernetes manifests, and stops
# on exit exactly the servers it started (and the OTLP test receiver, scripts/interop/
# otlp-receiver.sh, likewise). Exits non-zero when any step fails.
#
# It prints one line per step, what and how long; each step's full output (apt-get, the build,
# the tests) goes to .local/logs/test/NN-STEP.log, and the end of a failing step's log is shown.
#
# Environment:
#   CI            true: server tests fail instead of being skipped when a server is unreachable,
#                 compiler warnings fail the build step, and every step's output is shown too
#   TEST_VERBOSE  1: show every step's output as it runs (default 1 under CI=true, else 0)
#   TEST_SERVERS  which servers to start: all (default), redis, rabbitmq, none
#   TEST_STEP_LIMIT  seconds a step may take before it is stopped and the run fails naming it
#                 (default 1200: the longest step takes about 5 minutes on a 2-core machine)
#   TEST_TIME_BUDGET  seconds the whole run may take: a step that would start later fails the run
#                 instead, and a running step is stopped when the budget ends, so a slow machine
#                 gets the table of step times rather than an outside timeout (default 4800 under
#                 CI=true, for CI's limit of 90 minutes; none otherwise)
#   REDIS_PORT, AMQP_PORT, RABBITMQ_NODE, ...   passed to scripts/servers.sh (see there)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TEST_SERVERS="${TEST_SERVERS:-all}"
export CI="${CI:-}"
TEST_VERBOSE="${TEST_VERBOSE:-$([[ "$CI" == true ]] && echo 1 || echo 0)}"
TEST_STEP_LIMIT="${TEST_STEP_LIMIT:-1200}"
TEST_TIME_BUDGET="${TEST_TIME_BUDGET:-$([[ "$CI" == true ]] && echo 4800 || echo 0)}"
LOGS="$ROOT/.local/logs/test"
rm -rf "$LOGS"
mkdir -p "$LOGS"
STEP_PREFIX="test"
source scripts/lib/steps.sh
source scripts/lib/install.sh

SERVERS_STARTED=""
OTLP_RECEIVER_STARTED=""
CURRENT_STEP="setup"
CURRENT_LOG=""
# What a step function may add to its line.
STEP_NOTE=""
STEPS_RUN=0
STARTED_AT=$(step_now)
# "NAME: DURATION" of each step that ended, for the table printed at the end: CI shows the end
# of a run's output, and this is where the time of a slow run went.
STEP_TIMES=()

cleanup() {
    local status=$?
    step_stop_watchdog
    if [[ $status != 0 ]]; then
        step_fail
        if [[ -s "$CURRENT_LOG" && "$TEST_VERBOSE" != 1 ]]; then
            echo "-- the end of $CURRENT_LOG:" >&2
            tail -n 60 "$CURRENT_LOG" >&2
        fi
    fi
    if [[ -n "$SERVERS_STARTED" ]]; then
        step_begin "stopping the servers this run started: $SERVERS_STARTED"
        # shellcheck disable=SC2086 # a list of names
        if scripts/servers.sh stop $SERVERS_STARTED >>"$LOGS/servers-stop.log" 2>&1; then step_end; else step_fail; status=1; fi
    fi
    if [[ -n "$OTLP_RECEIVER_STARTED" ]]; then
        scripts/interop/otlp-receiver.sh stop >>"$LOGS/servers-stop.log" 2>&1 || status=1
    fi
    local took line
    took="$(step_duration $(($(step_now) - STARTED_AT)))"
    for line in "${STEP_TIMES[@]}"; do printf '%s:   %s\n' "$STEP_PREFIX" "$line" >&2; done
    if [[ $status == 0 ]]; then
        step_say "all $STEPS_RUN steps passed in $took (logs in ${LOGS#"$ROOT"/})"
    else
        step_say "FAILED in step '$CURRENT_STEP' (exit $status) after $took${CURRENT_LOG:+; its log: ${CURRENT_LOG#"$ROOT"/}}"
    fi
    exit "$status"
}
trap cleanup EXIT

# step NAME COMMAND...: runs one step with its output in its own log, on one line: what, how long,
# and for test runs how many tests passed. A failing command ends the run (set -e), and cleanup
# shows the end of the log.
step() {
    local name="$1"
    shift
    if ((TEST_TIME_BUDGET > 0 && $(step_now) - STARTED_AT >= TEST_TIME_BUDGET * 1000)); then
        CURRENT_STEP="$name" CURRENT_LOG=""
        echo "test: the run's time budget of $TEST_TIME_BUDGET s (TEST_TIME_BUDGET) is spent before step '$name'" >&2
        exit 1
    fi
    STEPS_RUN=$((STEPS_RUN + 1))
    CURRENT_STEP="$name"
    CURRENT_LOG="$LOGS/$(printf '%02d' "$STEPS_RUN")-$(echo "$name" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '-' | tr -s '-' | sed 's/-$//').log"
    if [[ "$TEST_VERBOSE" == 1 ]]; then
        step_say "$name (log: ${CURRENT_LOG#"$ROOT"/})"
        local started
        started=$(step_now)
        step_run "$@" > >(tee "$CURRENT_LOG") 2>&1
        step_begin "$name"
        # The step ran before its closing line opened: time it from its start.
        STEP_STARTED=$started
    else
        step_begin "$name"
        step_run "$@" >"$CURRENT_LOG" 2>&1
    fi
    STEP_TIMES+=("$(printf '%-42s %s' "$name" "$(step_duration $(($(step_now) - STEP_STARTED)))")")
    step_end "${STEP_NOTE:-$(tests_passed "$CURRENT_LOG")}"
    STEP_NOTE=""
}

# step_run COMMAND...: runs a step's command in this shell (a step function sets variables the
# later steps and the cleanup read: the servers' URLs, SERVERS_STARTED), with a watchdog that
# stops it (TERM, then KILL 30 s later, to this shell's children but the watchdog and the log's
# tee) when it takes longer than TEST_STEP_LIMIT or the rest of TEST_TIME_BUDGET. So a hung or
# slow step fails the run with its name and log instead of holding it until CI's own limit ends
# it without either. A failing command ends the run (set -e); the cleanup stops the watchdog.
STEP_WATCHDOG=""
step_run() {
    local limit=$TEST_STEP_LIMIT left shell=$$
    if ((TEST_TIME_BUDGET > 0)); then
        left=$((TEST_TIME_BUDGET - ($(step_now) - STARTED_AT) / 1000))
        ((left > limit)) || limit=$((left > 1 ? left : 1))
    fi
    (
        watchdog=$BASHPID
        # Its sleep must not outlive it: it would hold the step's output open.
        trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
        sleep "$limit" &
        sleeper=$!
        wait "$sleeper"
        echo "test: step '$CURRENT_STEP' still running after $limit s (TEST_STEP_LIMIT $TEST_STEP_LIMIT s, TEST_TIME_BUDGET $TEST_TIME_BUDGET s); stopping it" >&2
        for signal in TERM KILL; do
            ps -o pid=,comm= --ppid "$shell" | while read -r pid command; do
                [[ "$pid" == "$watchdog" || "$command" == tee ]] || kill "-$signal" "$pid" 2>/dev/null || true
            done
            sleep 30
        done
    ) &
    STEP_WATCHDOG=$!
    "$@"
    step_stop_watchdog
}

step_stop_watchdog() {
    [[ -n "${STEP_WATCHDOG:-}" ]] || return 0
    kill "$STEP_WATCHDOG" 2>/dev/null || true
    wait "$STEP_WATCHDOG" 2>/dev/null || true
    STEP_WATCHDOG=""
}

# The number of tests the swift test runs of a log passed, when it has any.
tests_passed() {
    local count
    count="$(grep -Eo 'Test run with [0-9]+ tests? .*passed' "$1" | grep -Eo '[0-9]+ tests?' | awk '{ n += $1 } END { print n + 0 }')"
    [[ "$count" == 0 ]] || echo "$count tests passed"
}

toolchain() {
    if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null 2>&1 || { echo "swift not found: install the Swift 6.3 toolchain (e.g. in /opt/swift)" >&2; return 1; }
    STEP_NOTE="$(swift --version 2>&1 | head -n 1)"
    echo "$STEP_NOTE"
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
    STEP_NOTE="REDIS_URL=${REDIS_URL:-unset} AMQP_URL=${AMQP_URL:-unset}; started: ${SERVERS_STARTED:-none}"
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
    local log
    log="$(mktemp)"
    swift build --package-path "${1:-.}" --build-tests 2>&1 | tee "$log"
    local warnings
    warnings="$(grep -c ': warning: ' "$log" || true)"
    if [[ "$warnings" != 0 ]]; then
        echo "swift build printed $warnings warning(s):"
        grep ': warning: ' "$log" | sort -u
        # Only a clean build (as in CI) prints every warning, so locally they are reported, not fatal.
        rm -f "$log"
        [[ "$CI" != true ]]
        return
    fi
    rm -f "$log"
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

# A test binary that crashes leaves `swift test` waiting for ever; the runs take seconds, so each
# is stopped after 5 minutes (the crash's backtrace is in the log).
unit_and_integration_tests() {
    echo "REDIS_URL=${REDIS_URL:-unset} AMQP_URL=${AMQP_URL:-unset} OTLP_RECEIVER_URL=${OTLP_RECEIVER_URL:-unset} CI=${CI:-unset}"
    echo "-- byte-level targets (no sockets, servers or timers)"
    timeout --kill-after=10 300 swift test --skip-build --filter "$BYTE_LEVEL_TARGETS"
    echo "-- socket, server and pipeline targets (the Redis Sentinel and Cluster suites run in their own step)"
    timeout --kill-after=10 300 swift test --skip-build --skip "$BYTE_LEVEL_TARGETS" --skip 'TopologyTests'
}

conformance_vectors() {
    scripts/conformance/all.sh
}

# Validates docker-compose.yml (schema, anchors, depends_on conditions) with Debian's
# docker-compose, which needs no Docker engine for `config`; installed when missing. Once for the
# default topology (.env) and once for each topology file of deploy/compose/.
compose_file() {
    install_packages docker-compose:docker-compose
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
step "command lines (--help)" scripts/check/help.sh
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
    # The README's library examples (Examples/), built and run against the servers.
    step "library examples" scripts/check/examples.sh
    # The live dashboard in Python's websockets client and in headless Chromium (Selenium), on
    # servers and ports of its own; the screenshot goes to .local/artifacts/dashboard.png.
    step "dashboard in real clients" scripts/interop/dashboard.sh
    # scripts/run.sh on servers and ports of its own, stopped by SIGTERM and SIGINT to its pid.
    step "run.sh stopped by its pid" scripts/check/run-stop.sh
    # Fault scenarios and HTTP abuse, short form, on servers and ports of their own, with the
    # release build users run (a debug gateway's larger code alone exceeds the RSS bound).
    step "chaos (short)" scripts/chaos/chaos.sh --short
    # The same on Redis Sentinel, a 3-node RabbitMQ cluster and twin services: a master, a queue
    # leader and one of each twin killed, a leader node stopped.
    step "chaos, HA topology (short)" scripts/chaos/chaos.sh --short --topology ha --no-abuse
    # The same on a Redis Cluster (3 masters, a replica each), the services' keys sharded: the
    # master of the load's inventory killed and failed over gracefully, a master of orders killed.
    step "chaos, Cluster topology (short)" scripts/chaos/chaos.sh --short --topology cluster --no-abuse
fi
