#!/usr/bin/env bash
# Checks what the 3-node RabbitMQ cluster of scripts/servers.sh (target rabbitmq-cluster) promises
# for quorum queues, on a cluster of its own (other ports and node names than the development
# one, since it kills and stops nodes):
#
#   1. start and join the cluster (reusing it when it already runs)
#   2. a queue declared with x-queue-type quorum and no x-quorum-initial-group-size gets a
#      member on every node
#   3. N persistent messages published with confirms through the node leading the queue; that
#      node killed with SIGKILL while probes are published one by one through another node (the
#      longest wait for a confirm bounds the time without a leader); another node leads; all N
#      consumed through another node
#   4. the killed node started again: time until it is back in the cluster and its member is
#      online and caught up
#   5. the (new) leading node stopped gracefully for STOP seconds, probed the same way, while N
#      more messages are published with confirms through another node; started again: time to
#      rejoin and catch up; the N messages consumed through the restarted node
#
# Prints one line per result and PASS or FAIL with the timings on stdout (progress on stderr);
# exits non-zero on any failure. Stops the cluster at the end if it started it.
#
# Environment (defaults in brackets):
#   CLUSTER_CHECK_PORT [5721]      AMQP port of node 1; nodes 2 and 3 use the next two ports
#   CLUSTER_CHECK_MESSAGES [1000]  N
#   CLUSTER_CHECK_STOP_SECONDS [30]
#   CLUSTER_CHECK_TIMEOUT [120]    seconds any one step may take
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

BASE="${CLUSTER_CHECK_PORT:-5721}"
MESSAGES="${CLUSTER_CHECK_MESSAGES:-1000}"
STOP_SECONDS="${CLUSTER_CHECK_STOP_SECONDS:-30}"
STEP_TIMEOUT="${CLUSTER_CHECK_TIMEOUT:-120}"
PROBE_SECONDS=10 # publishing across a fault: long enough to outlast a graceful stop
QUEUE=cluster-check
# Set here, never inherited: an eval of servers.sh's exports must not point this check at the
# development cluster.
export AMQP_CLUSTER_PORTS="$BASE,$((BASE + 1)),$((BASE + 2))"
export RABBITMQ_CLUSTER_NODES="ccheck1-$BASE@localhost,ccheck2-$((BASE + 1))@localhost,ccheck3-$((BASE + 2))@localhost"
unset RABBITMQ_CLUSTER_DIST_PORTS
VENV="$ROOT/.local/rabbitmq-cluster-check-venv"
CLIENT=("$VENV/bin/python" "$ROOT/scripts/lib/rabbitmq-cluster-check.py")

RESULTS=()
FAILED=0
CHECK_STARTED=""

say() { echo "cluster-check: $*" >&2; }
now() { echo "${EPOCHREALTIME//[!0-9]/}"; }
since() {
    local tenths=$((($(now) - $1) / 100000))
    echo "$((tenths / 10)).$((tenths % 10))"
}

# result PASS|FAIL TEXT
result() {
    RESULTS+=("$1  $2")
    [[ "$1" == PASS ]] || FAILED=1
    say "$1 $2"
}

# Also on an early exit: the results so far and the verdict go to stdout.
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local status=$?
    [[ ${#RESULTS[@]} == 0 ]] || printf '%s\n' "${RESULTS[@]}"
    if [[ $status == 0 ]]; then echo PASS; else echo FAIL; fi
    [[ -z "${URLS[0]:-}" ]] || timeout 30 "${CLIENT[@]}" delete "${URLS[0]}" "$QUEUE" >/dev/null 2>&1 || true
    # shellcheck disable=SC2086 # a list of names
    [[ -z "$CHECK_STARTED" ]] || scripts/servers.sh stop $CHECK_STARTED || true
    exit "$status"
}
trap cleanup EXIT

# pika goes into a virtual environment under .local/ (scripts/lib/install.sh), leaving the
# system Python untouched.
ensure_pika() {
    INSTALL_LOG="$ROOT/.local/logs/install.log"
    . "$ROOT/scripts/lib/install.sh"
    install_venv "$VENV" 'pika>=1.3,<2'
}

# index NODE: the position (0-based) of NODE in NODES.
index() {
    local i
    for i in "${!NODES[@]}"; do [[ "${NODES[i]}" == "$1" ]] && { echo "$i"; return 0; }; done
    return 1
}

# queue_field NODE FIELD: the queue's leader, members or online list as NODE reports it.
queue_field() {
    timeout 30 rabbitmqctl -s -n "$1" list_queues name "$2" 2>/dev/null | awk -v q="$QUEUE" -F'\t' '$1 == q { print $2 }'
}

# other_than NODE: the first node that is not NODE.
other_than() {
    local node
    for node in "${NODES[@]}"; do [[ "$node" != "$1" ]] && { echo "$node"; return 0; }; done
}

# await_caught_up NODE START: waits until the queue's member on NODE is online and has committed
# as far as the leader; prints the seconds since START.
await_caught_up() {
    local node="$1" start="$2" ask deadline
    ask="$(other_than "$node")"
    deadline=$(($(now) + STEP_TIMEOUT * 1000000))
    while (($(now) < deadline)); do
        if [[ "$(queue_field "$ask" online)" == *"$node"* ]] &&
            timeout 30 rabbitmq-queues -q -n "$ask" quorum_status "$QUEUE" --formatter json 2>/dev/null | python3 -c '
import json, sys
status = json.load(sys.stdin)
leader = [m for m in status if m["Raft State"] == "leader"]
member = [m for m in status if m["Node Name"] == sys.argv[1]]
sys.exit(0 if leader and member and member[0]["Raft State"] == "follower" and member[0]["Commit Index"] == leader[0]["Commit Index"] else 1)
' "$node"; then
            since "$start"
            return 0
        fi
        sleep 0.5
    done
    return 1
}

# beam_pid NODE: the pid of a node servers.sh started (never a node it did not).
beam_pid() {
    local pidfile="$ROOT/.local/rabbitmq/$1/rabbitmq.pid" pid
    pid="$(tr -dc 0-9 <"$pidfile" 2>/dev/null)" || return 1
    [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q beam && echo "$pid"
}

# start_cluster: starts whatever node of the cluster is down; sets TOOK to the seconds it took.
start_cluster() {
    local start exports status=0
    start="$(now)"
    exports="$(timeout "$STEP_TIMEOUT" scripts/servers.sh start rabbitmq-cluster)" || status=$?
    eval "$exports" # also after a failure: it names what was started
    [[ -n "$CHECK_STARTED" ]] || CHECK_STARTED="$SERVERS_STARTED"
    TOOK="$(since "$start")"
    return "$status"
}

# publish URL FIRST WHAT: publishes MESSAGES with confirms, or fails the check.
publish() {
    local start
    start="$(now)"
    if "${CLIENT[@]}" publish "$1" "$QUEUE" "$2" "$MESSAGES" >&2; then
        result PASS "$MESSAGES persistent messages confirmed $3 in $(since "$start") s"
    else
        result FAIL "publishing $MESSAGES with confirms $3"
        exit 1
    fi
}

# across URL WHAT COMMAND...: runs the fault COMMAND while publishing probes through URL.
across() {
    local url="$1" what="$2" line
    shift 2
    if line="$(timeout "$STEP_TIMEOUT" "${CLIENT[@]}" probe "$url" "$QUEUE" "$PROBE_SECONDS" "$@")"; then
        result PASS "publishing through $what: $line"
    else
        result FAIL "publishing through $what (or the fault itself): ${line:-no confirm}"
    fi
}

# consume_all URL FIRST WHAT: consumes the MESSAGES from FIRST on through URL.
consume_all() {
    local line
    if line="$(timeout "$STEP_TIMEOUT" "${CLIENT[@]}" consume "$1" "$QUEUE" "$2" "$MESSAGES" 60)"; then
        result PASS "$3: $line"
    else
        result FAIL "$3: ${line:-consumer failed}"
    fi
}

# rejoin NODE HOW: starts NODE (HOW it went down) again; it must rejoin and its member catch up.
rejoin() {
    local node="$1" restarted caught
    restarted="$(now)"
    if ! start_cluster; then
        result FAIL "$2 node $node did not come back"
        return 0
    fi
    result PASS "$2 node $node back in the cluster in $TOOK s"
    if caught="$(await_caught_up "$node" "$restarted")"; then
        result PASS "its member of $QUEUE online and caught up $caught s after the restart began"
    else
        result FAIL "its member of $QUEUE not online and caught up within ${STEP_TIMEOUT}s"
    fi
}

ensure_pika

# A cluster of the check's own with no node running (or booting) starts from scratch, so every
# run times a first start and join.
IFS=, read -r -a NODES <<<"$RABBITMQ_CLUSTER_NODES"
fresh=1
for node in "${NODES[@]}"; do ! beam_pid "$node" >/dev/null || fresh=0; done
! scripts/servers.sh status rabbitmq-cluster 2>&1 | grep -q ' running,' || fresh=0
if [[ $fresh == 1 ]]; then
    for node in "${NODES[@]}"; do rm -rf "$ROOT/.local/rabbitmq/$node/mnesia"; done
fi
say "starting the cluster ($RABBITMQ_CLUSTER_NODES on ports $AMQP_CLUSTER_PORTS)"
start_cluster || { result FAIL "start and join the cluster"; exit 1; }
IFS=, read -r -a URLS <<<"$AMQP_CLUSTER_URLS"
result PASS "${#NODES[@]} nodes started and joined (or found running) in $TOOK s"

# --- default group size ---
"${CLIENT[@]}" declare "${URLS[0]}" "$QUEUE" >&2
members="$(queue_field "${NODES[0]}" members)"
count=0
for node in "${NODES[@]}"; do [[ "$members" == *"$node"* ]] && count=$((count + 1)); done
if [[ $count == "${#NODES[@]}" ]]; then
    result PASS "quorum queue without x-quorum-initial-group-size has members on all ${#NODES[@]} nodes: $members"
else
    result FAIL "quorum queue without x-quorum-initial-group-size has members $members"
fi

# --- kill -9 of the leader ---
leader="$(queue_field "${NODES[0]}" leader)"
li="$(index "$leader")" || { result FAIL "no leader reported for $QUEUE ('$leader')"; exit 1; }
publish "${URLS[li]}" 0 "through the leader $leader"

pid="$(beam_pid "$leader")" || { result FAIL "$leader was not started by servers.sh; not killing it"; exit 1; }
survivor="$(other_than "$leader")"
si="$(index "$survivor")"
say "kill -9 of $leader (pid $pid), publishing through $survivor meanwhile"
# A confirm needs a leader, so the longest wait for one across the kill bounds the election.
across "${URLS[si]}" "$survivor across the kill" kill -KILL "$pid"
new="$(queue_field "$survivor" leader)"
if [[ -n "$new" && "$new" != "$leader" ]]; then
    result PASS "leader moved from $leader to $new"
else
    result FAIL "leader after the kill: '$new'"
fi
consume_all "${URLS[si]}" 0 "through $survivor after the kill"
rejoin "$leader" killed

# --- one node stopped for STOP_SECONDS ---
stopped_node="$(queue_field "${NODES[0]}" leader)"
ki="$(index "$stopped_node")" || { result FAIL "no leader reported for $QUEUE ('$stopped_node')"; exit 1; }
survivor="$(other_than "$stopped_node")"
si="$(index "$survivor")"
say "stopping $stopped_node (leading $QUEUE) for $STOP_SECONDS s, publishing through $survivor meanwhile"
stopped="$(now)"
across "${URLS[si]}" "$survivor across the stop" rabbitmqctl -q -n "$stopped_node" shutdown
publish "${URLS[si]}" "$MESSAGES" "through $survivor with $stopped_node down"
left=$((STOP_SECONDS * 10 - ($(now) - stopped) / 100000))
((left <= 0)) || sleep "$((left / 10)).$((left % 10))"
say "starting $stopped_node again after $(since "$stopped") s down"
rejoin "$stopped_node" stopped
consume_all "${URLS[ki]}" "$MESSAGES" "through the restarted $stopped_node"

exit "$FAILED"
