# shellcheck shell=bash
# The `rabbitmq-cluster` target of scripts/servers.sh: RabbitMQ nodes (three by default) on
# loopback joined into one cluster, for quorum queues replicated on every node. Sourced by
# servers.sh, whose helpers and settings (HOST, SERVERS_TIMEOUT, rabbit_start, rabbit_stop, ...) it
# uses; each node is an ordinary node of that script (pid file, data and logs under
# .local/rabbitmq/<node>).
#
# Environment (comma-separated lists, one entry per node; defaults in brackets):
#   RABBITMQ_CLUSTER_NODES [opc1@localhost,opc2@localhost,opc3@localhost]
#   AMQP_CLUSTER_PORTS [5711,5712,5713]
#   RABBITMQ_CLUSTER_DIST_PORTS [each AMQP port + 20000]
# The first node is the one the others join.

RABBITMQ_CLUSTER_NODES="${RABBITMQ_CLUSTER_NODES:-opc1@localhost,opc2@localhost,opc3@localhost}"
AMQP_CLUSTER_PORTS="${AMQP_CLUSTER_PORTS:-5711,5712,5713}"
RABBITMQ_CLUSTER_DIST_PORTS="${RABBITMQ_CLUSTER_DIST_PORTS:-}"

# Splits and checks the lists into CLUSTER_NODES, CLUSTER_PORTS and CLUSTER_DIST_PORTS. Called by
# the cluster's commands only, so bad cluster settings never stop the other targets.
cluster_settings() {
    local port
    IFS=, read -r -a CLUSTER_NODES <<<"$RABBITMQ_CLUSTER_NODES"
    IFS=, read -r -a CLUSTER_PORTS <<<"$AMQP_CLUSTER_PORTS"
    if [[ -n "$RABBITMQ_CLUSTER_DIST_PORTS" ]]; then
        IFS=, read -r -a CLUSTER_DIST_PORTS <<<"$RABBITMQ_CLUSTER_DIST_PORTS"
    else
        CLUSTER_DIST_PORTS=()
        for port in "${CLUSTER_PORTS[@]}"; do CLUSTER_DIST_PORTS+=($((port + 20000))); done
    fi
    [[ ${#CLUSTER_NODES[@]} -ge 1 ]] || die "RABBITMQ_CLUSTER_NODES is empty"
    [[ ${#CLUSTER_PORTS[@]} == "${#CLUSTER_NODES[@]}" && ${#CLUSTER_DIST_PORTS[@]} == "${#CLUSTER_NODES[@]}" ]] ||
        die "RABBITMQ_CLUSTER_NODES, AMQP_CLUSTER_PORTS and RABBITMQ_CLUSTER_DIST_PORTS need one entry per node"
    for port in "${CLUSTER_PORTS[@]}" "${CLUSTER_DIST_PORTS[@]}"; do
        [[ "$port" =~ ^[0-9]+$ ]] || die "'$port' in AMQP_CLUSTER_PORTS or RABBITMQ_CLUSTER_DIST_PORTS is not a port number"
    done
}

# Selects cluster node I (1-based) for rabbit_select: NAME, PORT_VAR, NODE, PORT, DIST_PORT.
# shellcheck disable=SC2034 # read by servers.sh's rabbit_* functions
cluster_node_select() {
    local i="$1"
    NAME="rabbitmq-cluster:$i"; PORT_VAR=AMQP_CLUSTER_PORTS
    NODE="${CLUSTER_NODES[i - 1]}"; PORT="${CLUSTER_PORTS[i - 1]}"; DIST_PORT="${CLUSTER_DIST_PORTS[i - 1]}"
}

# Microseconds since the epoch, and the seconds since such a start with one decimal.
cluster_now() { echo "${EPOCHREALTIME//[!0-9]/}"; }
cluster_since() {
    local tenths=$((($(cluster_now) - $1) / 100000))
    echo "$((tenths / 10)).$((tenths % 10)) s"
}

# cluster_tool NODE TOOL ARGS...: runs a RabbitMQ CLI tool against NODE, within the script's timeout.
cluster_tool() {
    local node="$1" tool="$2"
    shift 2
    rabbit_command "$tool" -q -n "$node" "$@"
    timeout "$SERVERS_TIMEOUT" "${RABBIT_CMD[@]}"
}

# cluster_members FIELD: the nodes that the selected node's cluster_status lists under FIELD
# (disk_nodes: the members, running_nodes: those up), sorted and space-separated; fails when the
# node does not answer.
cluster_members() {
    local json
    json="$(cluster_tool "$NODE" rabbitmqctl cluster_status --formatter json 2>/dev/null)" || return 1
    sed -n "s/.*\"$1\":\[\([^]]*\)\].*/\1/p" <<<"$json" | tr -d '"' | tr ',' '\n' | sort | paste -sd ' '
}

# cluster_join FIRST [stale]: joins the selected node to the cluster of node FIRST. reset wipes the
# node, so this is only ever done to a node this script started and that is not a member. A node
# the cluster still lists although it is alone (its data was wiped) is `stale`: it is forgotten
# first, which drops its quorum queue replicas, and they are added back once it has joined.
cluster_join() {
    local first="$1" stale="${2:-}" start step
    start="$(cluster_now)"
    for step in "$NODE rabbitmqctl stop_app" "$NODE rabbitmqctl reset" \
        ${stale:+"$first rabbitmqctl forget_cluster_node $NODE"} \
        "$NODE rabbitmqctl join_cluster $first" "$NODE rabbitmqctl start_app" \
        ${stale:+"$NODE rabbitmq-queues grow $NODE all"}; do
        # shellcheck disable=SC2086 # a node, a tool and its arguments
        cluster_tool $step >>"$RDIR/startup.log" 2>&1 ||
            die_showing "$RDIR/startup.log" "$NAME node $NODE: '$step' failed; see $RDIR/startup.log"
    done
    say "$NAME node $NODE joined $first${stale:+ (it had been a member and lost its data)} ($(cluster_since "$start"))"
}

# Waits for the selected node, one of ours that runs but does not answer yet: say, a member left
# waiting for its peers by an earlier start that timed out.
cluster_await_booting() {
    local i
    say "$NAME node $NODE is still booting (pid $(tr -dc 0-9 <"$RDIR/rabbitmq.pid")); waiting for it"
    cluster_tool "$NODE" rabbitmqctl await_startup >>"$RDIR/startup.log" 2>&1 ||
        die_showing "$RDIR/log/$NODE.log" "$NAME node $NODE did not finish booting within ${SERVERS_TIMEOUT}s"
    for ((i = 0; i < SERVERS_TIMEOUT * 10; i++)); do
        amqp_answers "$PORT" && return 0
        sleep 0.1
    done
    die_showing "$RDIR/log/$NODE.log" "$NAME node $NODE runs but $HOST:$PORT does not answer AMQP"
}

cluster_start() {
    cluster_settings
    local start
    start="$(cluster_now)"
    cluster_boot
    cluster_form
    cluster_await_running "$start"
}

# Starts every node that does not answer, all at once: a member that was not the last of its
# cluster to stop waits at boot for the others (up to 5 minutes), so starting the nodes one after
# another can wait for one that is not started yet. Sets BOOTED to the numbers of those nodes.
cluster_boot() {
    local i pid pids=() failed=0 node_start
    BOOTED=()
    for ((i = 1; i <= ${#CLUSTER_NODES[@]}; i++)); do
        rabbit_select "rabbitmq-cluster:$i"
        if amqp_answers "$PORT"; then
            rabbit_start "rabbitmq-cluster:$i" # reports the node as reused
        else
            BOOTED+=("$i")
        fi
    done
    [[ ${#BOOTED[@]} -gt 0 ]] || return 0
    ensure_command rabbitmq-server rabbitmq-server # once, before the nodes start side by side
    STARTED+=(rabbitmq-cluster)
    for i in "${BOOTED[@]}"; do
        (
            node_start="$(cluster_now)"
            rabbit_select "rabbitmq-cluster:$i"
            if rabbit_ours; then cluster_await_booting; else rabbit_start "rabbitmq-cluster:$i"; fi
            say "rabbitmq-cluster:$i node $NODE up on $HOST:$PORT ($(cluster_since "$node_start"))"
        ) &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
    [[ $failed == 0 ]] || die "rabbitmq-cluster: $failed node(s) did not start (see above)"
}

# Joins every node that is not a member yet to the first node's cluster.
cluster_form() {
    local i first members stale
    rabbit_select "rabbitmq-cluster:1"
    first="$NODE"
    members="$(cluster_members disk_nodes)" || die "rabbitmq-cluster: node $first does not answer rabbitmqctl cluster_status"
    for ((i = 2; i <= ${#CLUSTER_NODES[@]}; i++)); do
        rabbit_select "rabbitmq-cluster:$i"
        stale=""
        if [[ " $members " == *" $NODE "* ]]; then
            # Only a node started just now can have lost its data since it last ran.
            [[ " ${BOOTED[*]} " != *" $i "* || " $(cluster_members disk_nodes) " == *" $first "* ]] && continue
            stale=stale
        fi
        rabbit_ours || die "rabbitmq-cluster:$i node $NODE on $HOST:$PORT is not in the cluster of $first and was not started by this script; it will not reset it"
        cluster_join "$first" "$stale"
    done
}

# cluster_await_running START: waits until the first node lists every node as running.
cluster_await_running() {
    local count=${#CLUSTER_NODES[@]} deadline running=""
    deadline=$(($(cluster_now) + SERVERS_TIMEOUT * 1000000))
    rabbit_select "rabbitmq-cluster:1"
    while (($(cluster_now) < deadline)); do
        running="$(cluster_members running_nodes)" || running=""
        if [[ $(wc -w <<<"$running") == "$count" ]]; then
            say "rabbitmq-cluster: $count nodes running: $running ($(cluster_since "$1") in all)"
            return 0
        fi
        sleep 0.5
    done
    die "rabbitmq-cluster: $NODE lists only '$running' as running after ${SERVERS_TIMEOUT}s"
}

# Stops the nodes this script started, the first last: the node that stops last has the newest
# cluster state and may boot alone.
cluster_stop() {
    cluster_settings
    local i start
    for ((i = ${#CLUSTER_NODES[@]}; i >= 1; i--)); do
        start="$(cluster_now)"
        rabbit_select "rabbitmq-cluster:$i"
        if rabbit_ours; then
            rabbit_stop "rabbitmq-cluster:$i"
            say "rabbitmq-cluster:$i node $NODE stopped ($(cluster_since "$start"))"
        else
            rabbit_stop "rabbitmq-cluster:$i" # reports that it leaves the node alone
        fi
    done
}

cluster_status() {
    cluster_settings
    local i first=""
    for ((i = 1; i <= ${#CLUSTER_NODES[@]}; i++)); do
        rabbit_status "rabbitmq-cluster:$i"
        rabbit_select "rabbitmq-cluster:$i"
        [[ -n "$first" ]] || ! amqp_answers "$PORT" || first="$i"
    done
    [[ -n "$first" ]] || return 0
    rabbit_select "rabbitmq-cluster:$first"
    echo "rabbitmq-cluster  members per $NODE: $(cluster_members disk_nodes || echo '?'); running: $(cluster_members running_nodes || echo '?')" >&2
}

# The cluster's export lines for servers.sh's stdout. Never fails: servers.sh prints them on exit,
# after a failure too, and SERVERS_STARTED comes after them.
cluster_exports() {
    local cluster_urls=() ports port
    IFS=, read -r -a ports <<<"$AMQP_CLUSTER_PORTS"
    for port in "${ports[@]}"; do cluster_urls+=("amqp://guest:guest@$HOST:$port/"); done
    echo "export AMQP_CLUSTER_URLS=$(IFS=,; echo "${cluster_urls[*]}")"
    echo "export RABBITMQ_CLUSTER_NODES=$RABBITMQ_CLUSTER_NODES"
}
