# shellcheck shell=bash
# Redis Sentinel and Redis Cluster topologies on loopback, from Debian's redis-server; sourced by
# scripts/servers.sh, which dispatches `start|stop|status redis-sentinel|redis-cluster` here.
#
#   redis-sentinel  1 master and 2 replicas (REDIS_SENTINEL_DATA_PORT and the next two ports),
#                   3 sentinels (REDIS_SENTINEL_PORT and the next two) watching the master as
#                   REDIS_SENTINEL_MASTER
#   redis-cluster   REDIS_CLUSTER_MASTERS masters with REDIS_CLUSTER_REPLICAS replicas each, on
#                   REDIS_CLUSTER_PORT and the following ports (cluster bus: port + 10000)
#
# Each start writes fresh configuration files and data under .local/, so a topology always starts
# from the same state (a failover of an earlier run is forgotten). REDIS_TOPOLOGY_PASSWORD, when
# set, is required by every node and sentinel (and used between them).

REDIS_SENTINEL_DATA_PORT="${REDIS_SENTINEL_DATA_PORT:-6391}"
REDIS_SENTINEL_PORT="${REDIS_SENTINEL_PORT:-26391}"
REDIS_SENTINEL_MASTER="${REDIS_SENTINEL_MASTER:-orders}"
REDIS_SENTINEL_DOWN_AFTER_MS="${REDIS_SENTINEL_DOWN_AFTER_MS:-2000}"
REDIS_CLUSTER_PORT="${REDIS_CLUSTER_PORT:-7001}"
REDIS_CLUSTER_MASTERS="${REDIS_CLUSTER_MASTERS:-3}"
REDIS_CLUSTER_REPLICAS="${REDIS_CLUSTER_REPLICAS:-1}"
REDIS_CLUSTER_NODE_TIMEOUT_MS="${REDIS_CLUSTER_NODE_TIMEOUT_MS:-2000}"
REDIS_TOPOLOGY_PASSWORD="${REDIS_TOPOLOGY_PASSWORD:-}"

# redis_topology ACTION TARGET: start, stop or status of redis-sentinel or redis-cluster.
redis_topology() {
    local action="$1" target="$2"
    if [[ "$action" == start ]]; then
        ensure_command redis-server redis-server
        ensure_command redis-cli redis-tools
    fi
    case "$target" in
        redis-sentinel) "sentinel_topology_$action" ;;
        redis-cluster) "cluster_topology_$action" ;;
    esac
}

# redis_topology_exports TARGET...: the export lines of the topologies among the targets.
redis_topology_exports() {
    local credentials="" ports=() i
    [[ -n "$REDIS_TOPOLOGY_PASSWORD" ]] && credentials=":$REDIS_TOPOLOGY_PASSWORD@"
    if [[ " $* " == *" redis-sentinel "* ]]; then
        for ((i = 0; i < 3; i++)); do ports+=("$HOST:$((REDIS_SENTINEL_PORT + i))"); done
        echo "export REDIS_SENTINEL_URL=redis-sentinel://$credentials$(IFS=,; echo "${ports[*]}")/$REDIS_SENTINEL_MASTER"
        ports=()
    fi
    if [[ " $* " == *" redis-cluster "* ]]; then
        for ((i = 0; i < REDIS_CLUSTER_MASTERS; i++)); do ports+=("$HOST:$((REDIS_CLUSTER_PORT + i))"); done
        echo "export REDIS_CLUSTER_URL=redis-cluster://$credentials$(IFS=,; echo "${ports[*]}")"
    fi
}

# topology_auth COMMAND...: runs COMMAND with the topology's password for redis-cli, if there is one.
topology_auth() {
    if [[ -n "$REDIS_TOPOLOGY_PASSWORD" ]]; then REDISCLI_AUTH="$REDIS_TOPOLOGY_PASSWORD" "$@"; else "$@"; fi
}

# topology_cli PORT ARGS...: redis-cli against a node of a topology.
topology_cli() {
    local port="$1"; shift
    topology_auth timeout 10 redis-cli -h "$HOST" -p "$port" "$@" 2>/dev/null
}

# topology_node_start KIND PORT CONFIG-LINES: writes a fresh folder and configuration for one
# server and starts it (a sentinel when KIND is sentinel).
topology_node_start() {
    local kind="$1" port="$2" lines="$3" dir
    dir="$LOCAL/redis-$kind/$port"
    if redis_answers "$port" || port_open "$port"; then
        die "port $port is taken; stop what runs there or choose other ports (see scripts/lib/redis-topologies.sh)"
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    {
        echo "port $port"
        echo "bind $HOST"
        echo "dir $dir"
        echo "daemonize yes"
        echo "pidfile $dir/redis.pid"
        echo "logfile $dir/redis.log"
        if [[ -n "$REDIS_TOPOLOGY_PASSWORD" ]]; then
            echo "requirepass $REDIS_TOPOLOGY_PASSWORD"
            [[ "$kind" == sentinel ]] || echo "masterauth $REDIS_TOPOLOGY_PASSWORD"
        fi
        echo "$lines"
    } >"$dir/redis.conf"
    if [[ "$kind" == sentinel ]]; then
        redis-server "$dir/redis.conf" --sentinel >&2 || die_showing "$dir/redis.log" "sentinel on port $port failed to start"
    else
        redis-server "$dir/redis.conf" >&2 || die_showing "$dir/redis.log" "redis-server on port $port failed to start"
    fi
}

# topology_wait WHAT COMMAND...: retries COMMAND every 0.2 s for SERVERS_TIMEOUT seconds.
topology_wait() {
    local what="$1" i
    shift
    for ((i = 0; i < SERVERS_TIMEOUT * 5; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    die "$what did not happen within ${SERVERS_TIMEOUT}s"
}

# topology_ports KIND: the ports of the servers of a topology, as configured.
topology_ports() {
    local first count i
    case "$1" in
        sentinel-data) first="$REDIS_SENTINEL_DATA_PORT"; count=3 ;;
        sentinel) first="$REDIS_SENTINEL_PORT"; count=3 ;;
        cluster) first="$REDIS_CLUSTER_PORT"; count=$((REDIS_CLUSTER_MASTERS * (1 + REDIS_CLUSTER_REPLICAS))) ;;
    esac
    for ((i = 0; i < count; i++)); do echo $((first + i)); done
}

# topology_stop KIND: stops the servers of a topology that this script started.
topology_stop() {
    local kind="$1" port stopped=0
    for port in $(topology_ports "$kind"); do
        if pid_alive "$LOCAL/redis-$kind/$port/redis.pid" redis-server; then
            kill_pid "$LOCAL/redis-$kind/$port/redis.pid" redis-server
            stopped=$((stopped + 1))
        fi
        rm -f "$LOCAL/redis-$kind/$port/redis.pid"
    done
    say "stopped redis $kind servers ($stopped)"
}

topology_status() {
    local kind="$1" port state
    for port in $(topology_ports "$kind"); do
        if pid_alive "$LOCAL/redis-$kind/$port/redis.pid" redis-server; then
            state="running, started by this script"
        elif redis_answers_auth "$port"; then
            state="running, not started by this script"
        else
            state="not running"
        fi
        printf '%-14s %s:%s  %s (%s)\n' "redis-$kind" "$HOST" "$port" "$state" "$(topology_cli "$port" ROLE | head -n 1)" >&2
    done
}

# --- sentinel -----------------------------------------------------------------------------------

sentinel_topology_start() {
    local master="$REDIS_SENTINEL_DATA_PORT" port i
    if pid_alive "$LOCAL/redis-sentinel-data/$master/redis.pid" redis-server && redis_answers_auth "$REDIS_SENTINEL_PORT"; then
        say "redis-sentinel already running (started by this script)"
        return 0
    fi
    say "starting redis-sentinel: master $HOST:$master, replicas on the next two ports, sentinels on $REDIS_SENTINEL_PORT-$((REDIS_SENTINEL_PORT + 2))"
    for ((i = 0; i < 3; i++)); do
        port=$((master + i))
        topology_node_start sentinel-data "$port" "$( ((i > 0)) && echo "replicaof $HOST $master")
appendonly yes
save \"\""
    done
    for ((i = 1; i < 3; i++)); do
        topology_wait "replica $((master + i)) in sync" sentinel_replica_synced "$((master + i))"
    done
    for ((i = 0; i < 3; i++)); do
        port=$((REDIS_SENTINEL_PORT + i))
        topology_node_start sentinel "$port" "sentinel monitor $REDIS_SENTINEL_MASTER $HOST $master 2
sentinel down-after-milliseconds $REDIS_SENTINEL_MASTER $REDIS_SENTINEL_DOWN_AFTER_MS
sentinel failover-timeout $REDIS_SENTINEL_MASTER 10000
sentinel parallel-syncs $REDIS_SENTINEL_MASTER 1$([[ -n "$REDIS_TOPOLOGY_PASSWORD" ]] && echo "
sentinel auth-pass $REDIS_SENTINEL_MASTER $REDIS_TOPOLOGY_PASSWORD")"
    done
    # Sentinels find each other and the replicas through the master within a few seconds; until
    # then a failover could not be agreed on.
    for ((i = 0; i < 3; i++)); do
        topology_wait "sentinel $((REDIS_SENTINEL_PORT + i)) seeing 2 sentinels and 2 replicas" \
            sentinel_ready "$((REDIS_SENTINEL_PORT + i))"
    done
    STARTED+=(redis-sentinel)
}

sentinel_replica_synced() {
    topology_cli "$1" INFO replication | grep -q '^master_link_status:up'
}

sentinel_ready() {
    local info
    info="$(topology_cli "$1" SENTINEL master "$REDIS_SENTINEL_MASTER" | paste -sd ' ')" || return 1
    [[ "$info" == *"num-slaves 2 "* && "$info" == *"num-other-sentinels 2 "* ]]
}

redis_answers_auth() {
    [[ "$(topology_cli "$1" PING)" == PONG ]]
}

sentinel_topology_stop() {
    topology_stop sentinel
    topology_stop sentinel-data
}

sentinel_topology_status() {
    topology_status sentinel-data
    topology_status sentinel
}

# --- cluster ------------------------------------------------------------------------------------

cluster_topology_start() {
    local count=$((REDIS_CLUSTER_MASTERS * (1 + REDIS_CLUSTER_REPLICAS))) nodes=() port i
    if pid_alive "$LOCAL/redis-cluster/$REDIS_CLUSTER_PORT/redis.pid" redis-server && cluster_ok "$REDIS_CLUSTER_PORT"; then
        say "redis-cluster already running (started by this script)"
        return 0
    fi
    say "starting redis-cluster: $REDIS_CLUSTER_MASTERS masters, $REDIS_CLUSTER_REPLICAS replica(s) each, ports $REDIS_CLUSTER_PORT-$((REDIS_CLUSTER_PORT + count - 1))"
    for ((i = 0; i < count; i++)); do
        port=$((REDIS_CLUSTER_PORT + i))
        port_open "$((port + 10000))" && die "cluster bus port $((port + 10000)) is taken; set REDIS_CLUSTER_PORT"
        topology_node_start cluster "$port" "cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout $REDIS_CLUSTER_NODE_TIMEOUT_MS
appendonly yes
save \"\""
        nodes+=("$HOST:$port")
    done
    for port in "${nodes[@]}"; do topology_wait "node $port answering" redis_answers_auth "${port##*:}"; done
    topology_auth redis-cli --cluster create "${nodes[@]}" \
        --cluster-replicas "$REDIS_CLUSTER_REPLICAS" --cluster-yes >"$LOCAL/redis-cluster/create.log" 2>&1 ||
        die_showing "$LOCAL/redis-cluster/create.log" "redis-cli --cluster create failed"
    for port in "${nodes[@]}"; do topology_wait "node $port seeing the cluster as ok" cluster_ok "${port##*:}"; done
    # A node turns replica a moment after `create` returns: count the replicas in sync rather
    # than ask each node its role once, or clients that start now see masters without one.
    topology_wait "$((REDIS_CLUSTER_MASTERS * REDIS_CLUSTER_REPLICAS)) replicas in sync" cluster_replicas_synced "${nodes[@]}"
    STARTED+=(redis-cluster)
}

# cluster_replicas_synced HOST:PORT...: whether every replica the cluster should have is in sync.
cluster_replicas_synced() {
    local port synced=0
    for port in "$@"; do
        if [[ "$(topology_cli "${port##*:}" ROLE | head -n 1)" == slave ]] && sentinel_replica_synced "${port##*:}"; then
            synced=$((synced + 1))
        fi
    done
    ((synced == REDIS_CLUSTER_MASTERS * REDIS_CLUSTER_REPLICAS))
}

cluster_ok() {
    local info
    info="$(topology_cli "$1" CLUSTER INFO)" || return 1
    [[ "$info" == *"cluster_state:ok"* && "$info" == *"cluster_known_nodes:$((REDIS_CLUSTER_MASTERS * (1 + REDIS_CLUSTER_REPLICAS)))"* ]]
}

cluster_topology_stop() {
    topology_stop cluster
}

cluster_topology_status() {
    topology_status cluster
}
