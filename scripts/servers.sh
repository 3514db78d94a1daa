#!/usr/bin/env bash
# Starts, stops and reports the Redis and RabbitMQ servers order-pipeline needs, on loopback only,
# with their data, logs and pid files under the project's .local/ folder.
#
#   scripts/servers.sh start|stop|status [redis|rabbitmq|rabbitmq2|redis-sentinel|redis-cluster|all]   (default: all)
#
# redis-sentinel and redis-cluster are the Redis HA topologies of scripts/lib/redis-topologies.sh
# (see there for their ports); they export REDIS_SENTINEL_URL and REDIS_CLUSTER_URL.
#
# `all` means redis and rabbitmq for start and status; stop also covers rabbitmq2. rabbitmq2 is a
# second, independent (not clustered) RabbitMQ node on other ports, for failover tests.
# rabbitmq-cluster is three more nodes joined into one cluster (scripts/lib/rabbitmq-cluster.sh).
#
# A server that already answers on its port is reused and never stopped by this script: stop only
# touches what this script started, as recorded by the pid files under .local/.
#
# Progress goes to stderr, one line per step (what, how long); the output of apt-get goes to
# .local/logs/install.log (scripts/lib/install.sh). stdout carries only `export NAME=value` lines,
# so a caller can do
#   eval "$(scripts/servers.sh start)"
# to get REDIS_URL, AMQP_URL (and AMQP_URLS with two nodes) plus SERVERS_STARTED, the list of
# servers this call started (so a caller can stop exactly those).
#
# Environment (defaults in brackets):
#   REDIS_PORT [6379]             REDIS_APPENDFSYNC [everysec]  (always|everysec|no; AOF is on)
#   AMQP_PORT [5672]              RABBITMQ_NODE [op1@localhost] RABBITMQ_DIST_PORT [AMQP_PORT+20000]
#   AMQP2_PORT [5673]             RABBITMQ2_NODE [op2@localhost] RABBITMQ2_DIST_PORT [AMQP2_PORT+20000]
#   RABBITMQ_MANAGEMENT [0]       1 enables the management plugin on port AMQP port + 10000
#   RABBITMQ_CLUSTER_NODES, AMQP_CLUSTER_PORTS, RABBITMQ_CLUSTER_DIST_PORTS: see scripts/lib/rabbitmq-cluster.sh
#   SERVERS_TIMEOUT [90]          seconds to wait for a server to answer
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
HOST=127.0.0.1

REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_APPENDFSYNC="${REDIS_APPENDFSYNC:-everysec}"
AMQP_PORT="${AMQP_PORT:-5672}"
RABBITMQ_NODE="${RABBITMQ_NODE:-op1@localhost}"
RABBITMQ_DIST_PORT="${RABBITMQ_DIST_PORT:-$((AMQP_PORT + 20000))}"
AMQP2_PORT="${AMQP2_PORT:-5673}"
RABBITMQ2_NODE="${RABBITMQ2_NODE:-op2@localhost}"
RABBITMQ2_DIST_PORT="${RABBITMQ2_DIST_PORT:-$((AMQP2_PORT + 20000))}"
RABBITMQ_MANAGEMENT="${RABBITMQ_MANAGEMENT:-0}"
SERVERS_TIMEOUT="${SERVERS_TIMEOUT:-90}"
# shellcheck source=scripts/lib/redis-topologies.sh
source "$ROOT/scripts/lib/redis-topologies.sh"

case "$REDIS_APPENDFSYNC" in
    always | everysec | no) ;;
    *) echo "servers: error: REDIS_APPENDFSYNC must be always, everysec or no" >&2; exit 2 ;;
esac

STARTED=()

INSTALL_LOG="${INSTALL_LOG:-$LOCAL/logs/install.log}"
STEP_PREFIX=servers
source "$ROOT/scripts/lib/steps.sh"
source "$ROOT/scripts/lib/install.sh"

say() { step_say "$*"; }
die() { step_fail; echo "servers: error: $*" >&2; exit 1; }

# die_showing LOG MESSAGE: dies after showing the end of LOG, since CI leaves no files to read.
die_showing() {
    step_fail
    if [[ -s "$1" ]]; then
        echo "servers: last lines of $1:" >&2
        tail -n 15 "$1" | sed 's/^/    /' >&2
    fi
    die "$2"
}

# --- installation -------------------------------------------------------------------------------

# ensure_command COMMAND PACKAGE: installs PACKAGE (scripts/lib/install.sh) when COMMAND is missing.
ensure_command() {
    install_packages "$2:$1" || die "'$1' is missing and could not be installed"
}

# --- probes -------------------------------------------------------------------------------------

port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# Plain bash rather than redis-cli, so probing needs nothing installed.
redis_answers() {
    local reply
    reply="$(timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1; printf '*1\r\n\$4\r\nPING\r\n' >&3; head -c 5 <&3 | tr -d '\\0'" 2>/dev/null)" || return 1
    [[ "$reply" == +PONG ]]
}

# An AMQP 0-9-1 server answers the protocol header with a frame whose first octet is 1 (method).
amqp_answers() {
    local first
    first="$(timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1; printf 'AMQP\\x00\\x00\\x09\\x01' >&3; head -c 1 <&3 | od -An -tx1" 2>/dev/null)" || return 1
    [[ "${first// /}" == 01 ]]
}

# pid_alive PIDFILE NAME: the pid in PIDFILE runs a process whose command line mentions NAME.
pid_alive() {
    local pidfile="$1" name="$2" pid
    [[ -s "$pidfile" ]] || return 1
    pid="$(tr -dc 0-9 <"$pidfile")"
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"
}

# kill_pid PIDFILE NAME: SIGTERM, wait up to 30 s for exit, then SIGKILL.
kill_pid() {
    local pidfile="$1" name="$2" pid i
    pid_alive "$pidfile" "$name" || return 0
    pid="$(tr -dc 0-9 <"$pidfile")"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        [[ -d "/proc/$pid" ]] || return 0
        sleep 0.1
    done
    say "pid $pid did not exit after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

# --- redis --------------------------------------------------------------------------------------

redis_dir() { echo "$LOCAL/redis/$REDIS_PORT"; }

redis_start() {
    local dir pidfile log i
    dir="$(redis_dir)"; pidfile="$dir/redis.pid"; log="$dir/redis.log"
    if redis_answers "$REDIS_PORT"; then
        if pid_alive "$pidfile" redis-server; then
            say "redis already running on $HOST:$REDIS_PORT (started by this script, pid $(cat "$pidfile"))"
        else
            say "redis already answers on $HOST:$REDIS_PORT; reusing it, this script will not stop it"
        fi
        return 0
    fi
    port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by something that is not Redis; set REDIS_PORT"
    ensure_command redis-server redis-server
    mkdir -p "$dir"
    step_begin "starting redis on $HOST:$REDIS_PORT (AOF, appendfsync $REDIS_APPENDFSYNC, data in ${dir#"$ROOT"/})"
    # DEBUG is allowed from loopback clients only: fault-injection runs use DEBUG SLEEP.
    redis-server --port "$REDIS_PORT" --bind "$HOST" --dir "$dir" \
        --appendonly yes --appendfsync "$REDIS_APPENDFSYNC" --enable-debug-command local \
        --daemonize yes --pidfile "$pidfile" --logfile "$log" >&2 ||
        die_showing "$log" "redis-server failed to start; see $log"
    for ((i = 0; i < SERVERS_TIMEOUT * 10; i++)); do
        redis_answers "$REDIS_PORT" && { STARTED+=(redis); step_end; return 0; }
        sleep 0.1
    done
    die_showing "$log" "redis on $HOST:$REDIS_PORT did not answer PING within ${SERVERS_TIMEOUT}s; see $log"
}

redis_stop() {
    local pidfile
    pidfile="$(redis_dir)/redis.pid"
    if pid_alive "$pidfile" redis-server; then
        step_begin "stopping redis on $HOST:$REDIS_PORT (pid $(cat "$pidfile"))"
        kill_pid "$pidfile" redis-server
        step_end
    else
        say "redis on $HOST:$REDIS_PORT was not started by this script; leaving it alone"
    fi
    rm -f "$pidfile"
}

redis_status() {
    local pidfile
    pidfile="$(redis_dir)/redis.pid"
    if ! redis_answers "$REDIS_PORT"; then
        if port_open "$REDIS_PORT"; then
            echo "redis     $HOST:$REDIS_PORT  taken by something that is not Redis" >&2
        else
            echo "redis     $HOST:$REDIS_PORT  not running" >&2
        fi
    elif pid_alive "$pidfile" redis-server; then
        echo "redis     $HOST:$REDIS_PORT  running, started by this script (pid $(cat "$pidfile"), data $(redis_dir))" >&2
    else
        echo "redis     $HOST:$REDIS_PORT  running, not started by this script" >&2
    fi
}

# --- rabbitmq -----------------------------------------------------------------------------------

# Selects node 1 or 2: sets NODE, PORT, DIST_PORT, NAME and the node's folder.
rabbit_select() {
    if [[ "$1" == rabbitmq2 ]]; then
        NAME=rabbitmq2; PORT_VAR=AMQP2_PORT; NODE="$RABBITMQ2_NODE"; PORT="$AMQP2_PORT"; DIST_PORT="$RABBITMQ2_DIST_PORT"
    elif [[ "$1" == rabbitmq-cluster:* ]]; then
        cluster_node_select "${1#*:}"
    else
        NAME=rabbitmq; PORT_VAR=AMQP_PORT; NODE="$RABBITMQ_NODE"; PORT="$AMQP_PORT"; DIST_PORT="$RABBITMQ_DIST_PORT"
    fi
    RDIR="$LOCAL/rabbitmq/$NODE"
    # Run as root, the server is user rabbitmq, which may not be able to enter the project folder
    # (a clone under /root, say). Its files then live under /var/tmp, linked from .local/.
    if [[ "$(id -u)" == 0 && ! -L "$RDIR" ]] && ! rabbitmq_can_enter "$ROOT"; then
        local outside
        outside="/var/tmp/order-pipeline-$(echo "$ROOT" | md5sum | head -c 12)/$NODE"
        mkdir -p "$outside" "$LOCAL/rabbitmq"
        rm -rf "$RDIR"
        ln -s "$outside" "$RDIR"
    fi
    [[ -L "$RDIR" ]] && RDIR="$(readlink "$RDIR")"
    return 0
}

rabbitmq_can_enter() {
    id rabbitmq >/dev/null 2>&1 || return 0
    # shellcheck disable=SC2016 # $0 is expanded by the inner shell
    su rabbitmq -s /bin/sh -c 'cd "$0"' "$1" 2>/dev/null
}

# Sets RABBIT_CMD to the command line running a RabbitMQ tool with the selected node's
# environment. Debian's wrappers in /usr/sbin switch from root to the rabbitmq user (keeping the
# environment); other users run the tools directly. Distribution and epmd stay on loopback too.
rabbit_command() {
    local tool="$1"; shift
    local path="/usr/sbin/$tool"
    [[ "$(id -u)" == 0 ]] || path="/usr/lib/rabbitmq/bin/$tool"
    RABBIT_CMD=(env RABBITMQ_NODENAME="$NODE" RABBITMQ_NODE_IP_ADDRESS="$HOST" RABBITMQ_NODE_PORT="$PORT"
        RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$RDIR/mnesia"
        RABBITMQ_LOG_BASE="$RDIR/log" RABBITMQ_PID_FILE="$RDIR/rabbitmq.pid"
        RABBITMQ_ENABLED_PLUGINS_FILE="$RDIR/enabled_plugins" RABBITMQ_CONFIG_FILE="$RDIR/rabbitmq.conf"
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        ERL_EPMD_ADDRESS="$HOST" ERL_CRASH_DUMP="$RDIR/erl_crash.dump" "$path" "$@")
}

# The selected node was started by this script and is the one serving PORT.
rabbit_ours() {
    pid_alive "$RDIR/rabbitmq.pid" beam && [[ "$(cat "$RDIR/port" 2>/dev/null)" == "$PORT" ]]
}

rabbit_prepare_dirs() {
    mkdir -p "$RDIR/mnesia" "$RDIR/log"
    rm -f "$RDIR/rabbitmq.pid"
    echo "$PORT" >"$RDIR/port"
    if [[ "$RABBITMQ_MANAGEMENT" == 1 ]]; then
        echo "[rabbitmq_management]." >"$RDIR/enabled_plugins"
        printf 'management.tcp.ip = %s\nmanagement.tcp.port = %s\n' "$HOST" "$((PORT + 10000))" >"$RDIR/rabbitmq.conf"
    else
        echo "[]." >"$RDIR/enabled_plugins"
        : >"$RDIR/rabbitmq.conf"
    fi
    # The server runs as user rabbitmq when started by root, and the folders on the way must let it in.
    if [[ "$(id -u)" == 0 ]]; then
        chown -R rabbitmq:rabbitmq "$RDIR"
        chmod o+x "$LOCAL" "$LOCAL/rabbitmq" "$(dirname "$RDIR")"
    fi
}

rabbit_start() {
    rabbit_select "$1"
    local pidfile="$RDIR/rabbitmq.pid" log="$RDIR/log/$NODE.log" i
    if amqp_answers "$PORT"; then
        if rabbit_ours; then
            say "$NAME already running on $HOST:$PORT (node $NODE, started by this script)"
        else
            say "an AMQP server already answers on $HOST:$PORT; reusing it, this script will not stop it"
        fi
        return 0
    fi
    port_open "$PORT" && die "port $PORT is taken by something that is not an AMQP server; set $PORT_VAR"
    ensure_command rabbitmq-server rabbitmq-server
    rabbit_select "$1" # again: installing created user rabbitmq, whose access decides the folder
    rabbit_prepare_dirs
    step_begin "starting $NAME node $NODE on $HOST:$PORT (distribution port $DIST_PORT, data in ${RDIR#"$ROOT"/})"
    # Not -detached: in the foreground mode the server writes its pid file, which stop relies on.
    # setsid keeps it out of the caller's process group, so a Ctrl-C there does not reach it.
    rabbit_command rabbitmq-server
    (cd / && exec setsid "${RABBIT_CMD[@]}" </dev/null >"$RDIR/startup.log" 2>&1) &
    local launcher=$!
    for ((i = 0; i < SERVERS_TIMEOUT * 10; i++)); do
        pid_alive "$pidfile" beam && break
        kill -0 "$launcher" 2>/dev/null || die_showing "$RDIR/startup.log" "$NAME node $NODE exited during start; see $log and $RDIR/startup.log"
        sleep 0.1
    done
    pid_alive "$pidfile" beam || die_showing "$RDIR/startup.log" "$NAME node $NODE wrote no pid file within ${SERVERS_TIMEOUT}s; see $log"
    rabbit_command rabbitmqctl -q -n "$NODE" await_startup --timeout "$SERVERS_TIMEOUT"
    if ! timeout "$SERVERS_TIMEOUT" "${RABBIT_CMD[@]}" >>"$RDIR/startup.log" 2>&1; then
        die_showing "$log" "$NAME node $NODE did not start within ${SERVERS_TIMEOUT}s; see $log and $RDIR/startup.log"
    fi
    for ((i = 0; i < SERVERS_TIMEOUT * 10; i++)); do
        amqp_answers "$PORT" && { STARTED+=("$NAME"); step_end; return 0; }
        sleep 0.1
    done
    die_showing "$log" "$NAME node $NODE runs but $HOST:$PORT does not answer AMQP; see $log"
}

rabbit_stop() {
    rabbit_select "$1"
    local pidfile="$RDIR/rabbitmq.pid"
    if ! rabbit_ours; then
        say "$NAME on $HOST:$PORT (node $NODE) was not started by this script; leaving it alone"
        return 0
    fi
    step_begin "stopping $NAME node $NODE on $HOST:$PORT (pid $(tr -dc 0-9 <"$pidfile"))"
    # `stop PIDFILE` returns once the Erlang VM has exited; the pid is the fallback.
    rabbit_command rabbitmqctl -q -n "$NODE" stop "$pidfile"
    timeout 60 "${RABBIT_CMD[@]}" >/dev/null 2>&1 || true
    kill_pid "$pidfile" beam
    step_end
    rm -f "$pidfile"
}

rabbit_status() {
    rabbit_select "$1"
    local pidfile="$RDIR/rabbitmq.pid" label
    label="$(printf '%-9s %s:%s' "$NAME" "$HOST" "$PORT")"
    if ! amqp_answers "$PORT"; then
        if port_open "$PORT"; then
            echo "$label  taken by something that is not an AMQP server" >&2
        else
            echo "$label  not running" >&2
        fi
    elif rabbit_ours; then
        echo "$label  running, started by this script (node $NODE, pid $(tr -dc 0-9 <"$pidfile"), data $RDIR)" >&2
    else
        echo "$label  running, not started by this script" >&2
    fi
}

source "$ROOT/scripts/lib/rabbitmq-cluster.sh"

# --- main ---------------------------------------------------------------------------------------

print_exports() {
    local urls="amqp://guest:guest@$HOST:$AMQP_PORT/"
    echo "export REDIS_URL=redis://$HOST:$REDIS_PORT"
    echo "export AMQP_URL=$urls"
    # rabbitmqctl (and tests that drive the broker with it) address the node by this name.
    echo "export RABBITMQ_NODENAME=${RABBITMQ_NODENAME:-$RABBITMQ_NODE}"
    if [[ " $* " == *" rabbitmq2 "* ]]; then
        echo "export AMQP_URLS=$urls,amqp://guest:guest@$HOST:$AMQP2_PORT/"
    fi
    [[ " $* " != *" rabbitmq-cluster "* ]] || cluster_exports
    redis_topology_exports "$@"
    echo "export SERVERS_STARTED=\"${STARTED[*]}\""
}

usage() {
    echo "usage: scripts/servers.sh start|stop|status [redis|rabbitmq|rabbitmq2|rabbitmq-cluster|redis-sentinel|redis-cluster|all]..." >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
action="$1"; shift
[[ $# -ge 1 ]] || set -- all
targets=()
for target in "$@"; do
    case "$target" in
        redis | rabbitmq | rabbitmq2) targets+=("$target") ;;
        rabbitmq-cluster) targets+=("$target") ;;
        redis-sentinel | redis-cluster) targets+=("$target") ;;
        all) if [[ "$action" == stop ]]; then targets+=(redis rabbitmq rabbitmq2); else targets+=(redis rabbitmq); fi ;;
        *) usage ;;
    esac
done

case "$action" in
    start)
        # Also on failure, so a caller learns what was started and can stop it.
        trap 'print_exports "${targets[@]}"' EXIT
        for target in "${targets[@]}"; do
            case "$target" in
                redis) redis_start ;;
                rabbitmq-cluster) cluster_start ;;
                redis-*) redis_topology start "$target" ;;
                *) rabbit_start "$target" ;;
            esac
        done
        say "REDIS_URL=redis://$HOST:$REDIS_PORT AMQP_URL=amqp://guest:guest@$HOST:$AMQP_PORT/"
        ;;
    stop)
        for target in "${targets[@]}"; do
            case "$target" in
                redis) redis_stop ;;
                rabbitmq-cluster) cluster_stop ;;
                redis-*) redis_topology stop "$target" ;;
                *) rabbit_stop "$target" ;;
            esac
        done
        ;;
    status)
        for target in "${targets[@]}"; do
            case "$target" in
                redis) redis_status ;;
                rabbitmq-cluster) cluster_status ;;
                redis-*) redis_topology status "$target" ;;
                *) rabbit_status "$target" ;;
            esac
        done
        ;;
    *) usage ;;
esac
