#!/usr/bin/env bash
# Fault-injection run for the order pipeline. Starts its own Redis (AOF, appendfsync always) and
# RabbitMQ nodes on ports of its own, runs the gateway, processor, notifier and dashboard as
# separate processes (release build by default), and then, one scenario at a time: resets the state, sets the
# inventory, starts open-loop load (a share of the ids without Idempotency-Key, sampling the
# inventory and the gateway's RSS every 100 ms), injects one fault mid-load, lifts it, probes how
# soon an order is accepted and notified again, and reconciles the client ledger against Redis and
# the notifier's log of its sends (`chaos reconcile`), printing a table per scenario and a summary.
# Finally it runs the HTTP abuse checks (`chaos abuse`) against the running gateway.
#
#   scripts/chaos/chaos.sh [--short] [--topology single|ha|cluster] [--only "name name ..."] [--no-abuse]
#
# --topology ha runs the pipeline as production runs it: Redis Sentinel (a master, 2 replicas,
# 3 sentinels), a 3-node RabbitMQ cluster with quorum queues, and two gateways, two processors
# and two notifiers at once (the load goes to both gateways in turn), with its own scenarios
# (below). Its services reach the servers directly, without proxies. REDIS_MIN_REPLICAS, when
# set, is passed to the services (0 measures what a master kill loses without WAIT).
#
# --topology cluster runs it on a Redis Cluster instead (3 masters with a replica each, node
# timeout 2 s), with the RabbitMQ cluster and twin services of --topology ha. The services shard
# their keys over REDIS_SHARDS hash-tagged shards (PipelineKeys), which the chaos tool names as
# they do. The load has one SKU there, so its stock, and every decision (which lies beside the
# stock), is on one master: the hottest, which the inventory scenarios hit.
#
# Scenarios (in this order):
#   baseline                 no fault
#   kill-gateway, kill-processor, kill-notifier   kill -9 of one service, started again after 1 s
#   rabbitmq-stop, rabbitmq-kill   RabbitMQ node 1 stopped gracefully / killed -9, then started again
#   failover                 node 1 killed; the services, listing node 2 too, carry on there
#   redis-kill               kill -9 of Redis, started again after 1 s
#   proxy-cut                every RabbitMQ and Redis connection cut mid-frame 3 times, then stalled 3 s
#   rabbitmq-hang            SIGSTOP of node 1's Erlang VM (beam) for the hang time, then SIGCONT
#   redis-hang               SIGSTOP of redis-server for the hang time, then SIGCONT
#   redis-sleep              DEBUG SLEEP for the hang time
#   rabbitmq-memory-alarm    set_vm_memory_high_watermark 0 (publishing blocked) for the hang time, then 0.4
#   rabbitmq-disk-alarm      set_disk_free_limit 10000GB for the hang time, then 50MB
#   delete-orders-queue      rabbitmqctl delete_queue orders.queue
#   delete-notifier-queue    rabbitmqctl delete_queue notifier.queue
#   purge-orders-queue, purge-notifier-queue   SIGSTOP of the queue's consumer (processor,
#                            notifier) for 3 s, rabbitmqctl purge_queue of the queue, SIGCONT:
#                            confirmed messages dropped by the broker, which the processor's sweep
#                            of open orders (OPEN_ORDER_SWEEP_SECONDS, 30 s) must decide and notify
#   redis-lost-replies       the Redis proxy drops every reply for longer than the services' 5 s
#                            Redis command timeout (commands run, answers never arrive), then cuts
#   redis-refuse-writes      CONFIG SET maxmemory 1 with maxmemory-policy noeviction for the hang
#                            time, then both restored
#
# Scenarios of --topology ha (in this order), each fault held HA_HOLD seconds (20, --short 6):
#   baseline                 no fault
#   redis-master-kill        kill -9 of the Redis master; the sentinels promote a replica; the
#                            old master started again (it rejoins as a replica)
#   redis-master-kill-lagging   both replicas stopped (SIGSTOP) for 1.5 s, then the master
#                            killed and the replicas continued: the replica promoted lacks the
#                            master's last writes, as a lagging replica would
#   rabbitmq-leader-kill     kill -9 of the node leading orders.queue, started again
#   rabbitmq-node-stop       the node leading orders.queue stopped gracefully, started again
#   kill-gateway-twin, kill-processor-twin, kill-notifier-twin   kill -9 of one of the two
#                            instances of the role while its twin keeps running, started again
#
# Scenarios of --topology cluster (in this order), each fault held HA_HOLD seconds:
#   baseline                 no fault
#   redis-cluster-master-kill   kill -9 of the master serving the slot of the load's inventory
#                            (found with CLUSTER KEYSLOT and CLUSTER NODES); the cluster promotes
#                            its replica; the old master started again, and the fault lifted
#                            once it is in sync as a replica (until then the promoted master has
#                            none, and the services, which WAIT for one, refuse its shards' writes)
#   redis-cluster-failover   CLUSTER FAILOVER on that master's replica: a graceful promotion
#   redis-cluster-other-master-kill   kill -9 of a master holding no inventory (of the load or
#                            the probe), only order, idempotency and notification shards; started
#                            again and lifted as above
# Each scenario starts once every node is up and every replica in sync. One full run on 2 cores,
# every check passed: master kill 22,945 503s of 50,000, p99 6.76 s, 21.7 s without a 202 (the
# old master in sync 7.1 s after its restart); failover 6, 305 ms, 0.1 s; other master kill
# 23,549, 5.87 s, 22.5 s (6.4 s). A kill stops every acceptance until the old master is in sync:
# the promoted one has no replica to WAIT for, and a gateway batch spans every shard.
#
# Rates and times. Measured with the baseline scenario (20 s) on a 2-core machine shared by the
# four services, Redis, RabbitMQ, the load generator and other builds (load average 12 to 19):
# 1,000 req/s were answered with p50 30 ms and p99 89 ms, 1,500 req/s with p99 183 ms, 2,000 req/s
# with p50 102 ms and p99 494 ms, each time every order decided and notified within 3 s of the end
# of the load. The full run sends 1,000 req/s (the rate of the gateway's RSS bound: a 60 s hang at
# 1,000 req/s) and holds each hang, alarm and refusal 60 s, lost replies 15 s; the other scenarios
# last 20 s. --short, for CI, sends 500 req/s (the least the checks are meant for) with hangs of
# 4 s, lost replies 7 s, the other scenarios 6 s. CHAOS_RATE overrides the rate.
#
# What is checked, each a violation when it fails (see `chaos reconcile`): no lost order (a 202
# never decided); no order reserved twice or notified twice; no 202 for a payload other than the
# one decided; answers consistent with what the id had become; no commit after its request's
# deadline (the claim time, read from the `until` of `idem:order:<id>` minus the in-flight TTL set
# here, against the ledger's send times plus the REQUEST_DEADLINE_MS set here, with a slack of the
# services' Redis pool wait plus command timeout, the latest a claim started in time can run and
# still be acted on); inventory equal to initial - reserved and never negative; recovery without
# restarts (the services keep their pids through every scenario that does not restart them, and a
# probe order posted once the fault is lifted, or a deletion done, gets 202 within RECOVERY_BOUND
# seconds and is notified within NOTIFY_BOUND more); the gateway's RSS, sampled throughout, under
# 64 MiB. A probe that never gets through is followed by a restart of the services (reported), so
# the next scenario starts from a working pipeline.
#
# The services reach RabbitMQ node 1 and Redis through `chaos proxy`, so proxy-cut can cut their
# connections mid-frame and redis-lost-replies can drop answers. Node 2 is started only for the
# failover scenario, reached directly and listed (second, in RABBITMQ_URLS) only there. The two
# nodes are independent, not clustered: what node 1 held when it died is delivered only after it
# restarts and the services return to it, which the failover scenario does before reconciling.
#
# Environment (defaults in brackets): CHAOS_RATE [1000, --short 500] CHAOS_REDIS_PORT [16431]
#   CHAOS_AMQP_PORT [5741] CHAOS_AMQP2_PORT [5742] CHAOS_PORT_BASE [18430] (gateway, dashboard,
#   processor, notifier, then the two proxies and the three twins, on consecutive ports)
#   --topology ha: Redis on CHAOS_REDIS_PORT and the next two, sentinels on CHAOS_SENTINEL_PORT
#   [26431] and the next two, RabbitMQ nodes chaosc1..3 on CHAOS_AMQP_PORT and the next two
#   --topology cluster: Redis nodes on CHAOS_REDIS_CLUSTER_PORT [CHAOS_REDIS_PORT + 20] and the
#   next five (cluster bus 10000 above), RabbitMQ nodes chaosk1..3 on CHAOS_AMQP_PORT + 10 and the
#   next two; REDIS_SHARDS, when set, reaches the services and the chaos tool alike
#   CHAOS_CONFIGURATION [release]: the build the services and the chaos tool run from (debug
#   skips the release builds while working on a scenario; the gateway's RSS bound is meant for
#   release, and a debug gateway's larger code alone can exceed it)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

SHORT=0
TOPOLOGY=single
ONLY=""
ABUSE=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --short) SHORT=1 ;;
        --only) ONLY="$2"; shift ;;
        --topology) TOPOLOGY="$2"; shift ;;
        --no-abuse) ABUSE=0 ;;
        *) echo "usage: scripts/chaos/chaos.sh [--short] [--topology single|ha|cluster] [--only \"scenario ...\"] [--no-abuse]" >&2; exit 2 ;;
    esac
    shift
done

ALL_SCENARIOS=(baseline kill-gateway kill-processor kill-notifier rabbitmq-stop rabbitmq-kill failover redis-kill proxy-cut
    rabbitmq-hang redis-hang redis-sleep rabbitmq-memory-alarm rabbitmq-disk-alarm delete-orders-queue delete-notifier-queue
    purge-orders-queue purge-notifier-queue redis-lost-replies redis-refuse-writes)
case "$TOPOLOGY" in
    single) ;;
    ha) ALL_SCENARIOS=(baseline redis-master-kill redis-master-kill-lagging rabbitmq-leader-kill rabbitmq-node-stop kill-gateway-twin kill-processor-twin kill-notifier-twin) ;;
    cluster) ALL_SCENARIOS=(baseline redis-cluster-master-kill redis-cluster-failover redis-cluster-other-master-kill) ;;
    *) echo "chaos: --topology takes single, ha or cluster, not '$TOPOLOGY'" >&2; exit 2 ;;
esac
SCENARIOS=("${ALL_SCENARIOS[@]}")
[[ -z "$ONLY" ]] || read -ra SCENARIOS <<<"$ONLY"
for scenario in "${SCENARIOS[@]}"; do
    [[ " ${ALL_SCENARIOS[*]} " == *" $scenario "* ]] || { echo "chaos: unknown scenario '$scenario'" >&2; exit 2; }
done

export REDIS_PORT="${CHAOS_REDIS_PORT:-16431}"
export REDIS_APPENDFSYNC=always
export AMQP_PORT="${CHAOS_AMQP_PORT:-5741}"
export RABBITMQ_NODE="chaos1-$AMQP_PORT@localhost"
export AMQP2_PORT="${CHAOS_AMQP2_PORT:-5742}"
export RABBITMQ2_NODE="chaos2-$AMQP2_PORT@localhost"
BASE="${CHAOS_PORT_BASE:-18430}"
GATEWAY_PORT=$BASE
DASHBOARD_PORT=$((BASE + 1))
PROCESSOR_PORT=$((BASE + 2))
NOTIFIER_PORT=$((BASE + 3))
AMQP_PROXY_PORT=$((BASE + 4))
REDIS_PROXY_PORT=$((BASE + 5))
# The twins of --topology ha and cluster.
GATEWAY2_PORT=$((BASE + 6))
PROCESSOR2_PORT=$((BASE + 7))
NOTIFIER2_PORT=$((BASE + 8))
# HA: the RabbitMQ cluster and the twin services of --topology ha and cluster, which differ in Redis.
HA=0
[[ "$TOPOLOGY" == single ]] || HA=1
if [[ "$TOPOLOGY" == ha ]]; then
    export REDIS_SENTINEL_DATA_PORT="$REDIS_PORT" REDIS_SENTINEL_PORT="${CHAOS_SENTINEL_PORT:-26431}"
fi
if [[ "$TOPOLOGY" == cluster ]]; then
    # Redis ports 20 above the ha ones, RabbitMQ ports 10 above and node names of their own, so
    # neither topology's servers stand in the way of the other's.
    export REDIS_CLUSTER_PORT="${CHAOS_REDIS_CLUSTER_PORT:-$((REDIS_PORT + 20))}" REDIS_CLUSTER_MASTERS=3 REDIS_CLUSTER_REPLICAS=1
    AMQP_PORT=$((AMQP_PORT + 10))
fi
if [[ "$HA" == 1 ]]; then
    prefix="$([[ "$TOPOLOGY" == ha ]] && echo chaosc || echo chaosk)"
    export RABBITMQ_CLUSTER_NODES="${prefix}1-$AMQP_PORT@localhost,${prefix}2-$AMQP_PORT@localhost,${prefix}3-$AMQP_PORT@localhost"
    export AMQP_CLUSTER_PORTS="$AMQP_PORT,$((AMQP_PORT + 1)),$((AMQP_PORT + 2))"
    export RABBITMQ_NODE="${prefix}1-$AMQP_PORT@localhost"
fi

# DURATION: load of the scenarios without a hold; LEAD, HANG, TAIL: load before the fault, the
# fault's hold, load after it is lifted; PROBE_GIVE_UP: how long the probe keeps trying.
if [[ "$SHORT" == 1 ]]; then
    RATE="${CHAOS_RATE:-500}"; DURATION=6; LEAD=2; HANG=4; LOST_REPLIES=7; TAIL=4; PROBE_GIVE_UP=15; HA_HOLD=6
else
    RATE="${CHAOS_RATE:-1000}"; DURATION=20; LEAD=10; HANG=60; LOST_REPLIES=15; TAIL=20; PROBE_GIVE_UP=90; HA_HOLD=20
fi
SKUS=4
# One SKU on the Cluster, so its stock (and every decision, which lies beside it) is on one
# master: the one the inventory scenarios hit, the others holding orders only.
[[ "$TOPOLOGY" != cluster ]] || SKUS=1
# Demand averages 2 units a request; stock for about 80 % of it, so late orders are rejected.
# Set per scenario from its duration (this is for the abuse run when no scenario ran).
STOCK=$((RATE * DURATION * 2 * 8 / 10 / SKUS))
WAIT_SECONDS=90
# The services' settings that the checks depend on. The deadline is below the load's client
# timeout, so a client hears 503 rather than giving up.
INFLIGHT_TTL_SECONDS=10
REQUEST_DEADLINE_MS=3000
CLIENT_TIMEOUT_MS=8000
# The services' Redis client waits at most 5 s for a pool connection and 5 s for a reply.
DEADLINE_SLACK_MS=10000
RECOVERY_BOUND=5
NOTIFY_BOUND=10
RSS_LIMIT_MIB=64

WORK="$ROOT/.local/chaos"
mkdir -p "$WORK"
# The notifier's log is evidence (reconcile counts the sends in it), so every run starts afresh.
for log in gateway processor notifier dashboard amqp-proxy redis-proxy; do : >"$WORK/$log.log"; done
CONFIGURATION="${CHAOS_CONFIGURATION:-release}"
[[ "$CONFIGURATION" == release || "$CONFIGURATION" == debug ]] || { echo "chaos: CHAOS_CONFIGURATION must be release or debug, not '$CONFIGURATION'" >&2; exit 2; }
BIN="$ROOT/.build/$CONFIGURATION"
CHAOS_BIN="$ROOT/Benchmarks/.build/$CONFIGURATION/chaos"
FAILED=()
SUMMARY=()
PIDS_STARTED=()
# The pid of each service and proxy by name.
declare -A PID=()
# The services by instance name: the role, and `<role>2` for a twin of --topology ha or cluster.
# PIPELINE: those that take part in the pipeline (all but the dashboard).
PIPELINE=(gateway processor notifier)
[[ "$HA" == 0 ]] || PIPELINE=(gateway gateway2 processor processor2 notifier notifier2)
ROLES=("${PIPELINE[@]}" dashboard)
SERVERS_STARTED=""
ACTIVE_FAULT=""

say() { echo "chaos: $*" >&2; }

cleanup() {
    local status=$?
    # A node left stopped or alarmed could not be shut down.
    [[ -z "$ACTIVE_FAULT" ]] || lift "$ACTIVE_FAULT" || true
    # The services first, while the proxies still carry their connections; each gets 20 s to
    # drain, then SIGKILL: a service that hangs on its way out is reported, not waited for.
    local pid i services=()
    for role in "${ROLES[@]}"; do [[ -z "${PID[$role]:-}" ]] || services+=("${PID[$role]}"); done
    # A service stopped by a purge scenario cannot take SIGTERM until it continues.
    for pid in "${services[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${services[@]}"; do
        for ((i = 0; i < 200; i++)); do alive "$pid" || break; sleep 0.1; done
        alive "$pid" && { say "pid $pid ($(tr -d '\0' <"/proc/$pid/cmdline" 2>/dev/null)) did not stop within 20 s of SIGTERM; killing it"; kill -KILL "$pid" 2>/dev/null || true; }
    done
    for pid in "${PIDS_STARTED[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS_STARTED[@]}"; do wait "$pid" 2>/dev/null || true; done
    # shellcheck disable=SC2086 # a list of names
    [[ -z "$SERVERS_STARTED" ]] || scripts/servers.sh stop $SERVERS_STARTED || true
    exit "$status"
}
trap cleanup EXIT

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
. scripts/lib/install.sh
. scripts/chaos/faults.sh
. scripts/chaos/redis-cluster.sh
install_packages redis-tools:redis-cli curl:curl
# 10,000 idle connections need that many descriptors in the gateway and in the client.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

say "building ($CONFIGURATION)"
# build PACKAGE-PATH PRODUCT: the services from the root package, the chaos tool from Benchmarks.
build() {
    if ! swift build --package-path "$1" -c "$CONFIGURATION" --product "$2" >"$WORK/build.log" 2>&1; then
        tail -n 20 "$WORK/build.log" >&2
        say "build of $2 failed"
        exit 1
    fi
}
build Benchmarks chaos
for product in order-gateway order-processor order-notifier order-dashboard; do build . "$product"; done

# servers.sh may have to install packages and start the nodes: its exports name what it started.
# Node 2, needed only for failover, starts alongside.
NODE2=0
[[ " ${SCENARIOS[*]} " != *" failover "* ]] || NODE2=1
case "$TOPOLOGY" in
    ha) eval "$(scripts/servers.sh start redis-sentinel rabbitmq-cluster)" ;;
    cluster) eval "$(scripts/servers.sh start redis-cluster rabbitmq-cluster)" ;;
esac
if [[ "$NODE2" == 1 ]]; then
    scripts/servers.sh start rabbitmq2 >"$WORK/servers2.env" &
    node2_start=$!
fi
[[ "$HA" == 1 ]] || eval "$(scripts/servers.sh start redis rabbitmq)"
if [[ "$NODE2" == 1 ]]; then
    started="$SERVERS_STARTED" node2_status=0
    wait "$node2_start" || node2_status=$?
    eval "$(cat "$WORK/servers2.env")"
    SERVERS_STARTED="$started $SERVERS_STARTED"
    [[ "$node2_status" == 0 ]] || exit "$node2_status"
fi
# The port of the Redis master: the one server, the master the sentinels name, or on the Cluster
# the master serving the load's inventory (the hottest: every decision lies beside the stock).
redis_master_port() {
    case "$TOPOLOGY" in
        single) echo "$REDIS_PORT" ;;
        ha)
            local i
            for ((i = 0; i < 3; i++)); do
                redis-cli -p "$((REDIS_SENTINEL_PORT + i))" SENTINEL get-master-addr-by-name orders 2>/dev/null | tail -n 1 | grep -E '^[0-9]+$' && return
            done
            ;;
        cluster) cluster_master_of "$(cluster_slot inventory:chaos-sku-0)" ;;
    esac
}
# redis-cli against the master; on the Cluster following redirections to the key's master.
rcli() {
    if [[ "$TOPOLOGY" == cluster ]]; then redis-cli -c -p "$(redis_master_port)" "$@"; else redis-cli -p "$(redis_master_port)" "$@"; fi
}
# Empties Redis: the master, or every master of the Cluster.
redis_flushall() {
    if [[ "$TOPOLOGY" != cluster ]]; then rcli FLUSHALL >/dev/null; return; fi
    local port
    for port in $(cluster_masters); do redis-cli -p "$port" FLUSHALL >/dev/null; done
}
case "$TOPOLOGY" in
    ha) REDIS_DIRECT="$REDIS_SENTINEL_URL" SERVICE_REDIS_URL="$REDIS_SENTINEL_URL" ;;
    cluster) REDIS_DIRECT="$REDIS_CLUSTER_URL" SERVICE_REDIS_URL="$REDIS_CLUSTER_URL" ;;
    *) REDIS_DIRECT="redis://127.0.0.1:$REDIS_PORT/0" SERVICE_REDIS_URL="redis://127.0.0.1:$REDIS_PROXY_PORT/0" ;;
esac

# --- processes ----------------------------------------------------------------------------------

NODE1_URL="amqp://guest:guest@127.0.0.1:$AMQP_PROXY_PORT/"
NODE2_URL="amqp://guest:guest@127.0.0.1:$AMQP2_PORT/"
# Only the failover scenario lists node 2: with it listed, every broker outage would be a failover.
BROKERS="$NODE1_URL"
BROKER_TOPOLOGY=independent
if [[ "$HA" == 1 ]]; then
    BROKERS="$AMQP_CLUSTER_URLS"
    BROKER_TOPOLOGY=cluster
fi
start_proxy() { # NAME LISTEN TARGET
    "$CHAOS_BIN" proxy --listen "$2" --target "$3" 2>>"$WORK/$1.log" &
    PID[$1]=$!
    PIDS_STARTED+=("$!")
}

start_service() { # INSTANCE
    local instance="$1" role="${1%2}" port
    port="$(port_of "$instance")"
    # Twins log to their role's log: the notifiers' sends are read from one file.
    env REDIS_URL="$SERVICE_REDIS_URL" RABBITMQ_URLS="$BROKERS" RABBITMQ_TOPOLOGY="$BROKER_TOPOLOGY" \
        GATEWAY_PORT="$port" DASHBOARD_PORT="$port" PROCESSOR_PORT="$port" NOTIFIER_PORT="$port" \
        INFLIGHT_TTL_SECONDS="$INFLIGHT_TTL_SECONDS" REQUEST_DEADLINE_MS="$REQUEST_DEADLINE_MS" \
        "$BIN/order-$role" 2>>"$WORK/$role.log" &
    PID[$instance]=$!
    PIDS_STARTED+=("$!")
    # The load samples the gateway's RSS by this file, so it follows a restarted gateway.
    [[ "$instance" != gateway ]] || echo "$!" >"$WORK/gateway.pid"
}

port_of() {
    case "$1" in
        gateway) echo "$GATEWAY_PORT" ;; dashboard) echo "$DASHBOARD_PORT" ;;
        processor) echo "$PROCESSOR_PORT" ;; notifier) echo "$NOTIFIER_PORT" ;;
        gateway2) echo "$GATEWAY2_PORT" ;; processor2) echo "$PROCESSOR2_PORT" ;; notifier2) echo "$NOTIFIER2_PORT" ;;
    esac
}

wait_ready() { # ROLE...
    local role i
    for role in "$@"; do
        for ((i = 0; i < 600; i++)); do
            curl -fsS -o /dev/null "http://127.0.0.1:$(port_of "$role")/readyz" 2>/dev/null && break
            sleep 0.1
        done
        curl -fsS -o /dev/null "http://127.0.0.1:$(port_of "$role")/readyz" || { say "$role not ready after 60 s"; tail -n 5 "$WORK/$role.log" >&2; return 1; }
    done
}

# alive PID: the process runs. A child that exited is a zombie until bash reaps it, which can
# happen at any moment, so the state is read once.
alive() {
    local state
    state="$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" || true
    [[ -n "$state" && "$state" != Z ]]
}

# The services' pids as `role=pid`, `role=gone` for one that has exited.
service_pids() {
    local role out=()
    for role in "${ROLES[@]}"; do
        if alive "${PID[$role]}"; then out+=("$role=${PID[$role]}"); else out+=("$role=gone"); fi
    done
    echo "${out[*]}"
}

# Starts again any service that has exited (a crash in an earlier scenario), saying so.
ensure_services() {
    local role restarted=()
    for role in "${ROLES[@]}"; do
        alive "${PID[$role]}" && continue
        wait "${PID[$role]}" 2>/dev/null || true
        say "$role (pid ${PID[$role]}) has exited; starting it again"
        start_service "$role"
        restarted+=("$role")
    done
    [[ ${#restarted[@]} -eq 0 ]] || wait_ready "${restarted[@]}"
}

kill9() { # ROLE
    say "kill -9 $1 (pid ${PID[$1]})"
    kill -KILL "${PID[$1]}" 2>/dev/null || true
    wait "${PID[$1]}" 2>/dev/null || true
}

# SIGTERM (SIGKILL after 20 s) and start again, so they reconnect to the first broker.
restart_services() { # ROLE...
    local role i
    for role in "$@"; do
        kill -TERM "${PID[$role]}" 2>/dev/null || true
        for ((i = 0; i < 200; i++)); do alive "${PID[$role]}" || break; sleep 0.1; done
        alive "${PID[$role]}" && { say "$role did not stop within 20 s of SIGTERM; killing it"; kill -KILL "${PID[$role]}" 2>/dev/null || true; }
        wait "${PID[$role]}" 2>/dev/null || true
        start_service "$role"
    done
    wait_ready "$@"
}

rabbit_pidfile() { # NODE
    echo "$(readlink -f "$ROOT/.local/rabbitmq/$1")/rabbitmq.pid"
}

# The OS pid of node 1's Erlang VM.
rabbit_pid() { tr -dc 0-9 <"$(rabbit_pidfile "${1:-$RABBITMQ_NODE}")"; }

# queue_leader QUEUE: the cluster node leading the quorum queue, asked of any node that answers.
queue_leader() {
    local node
    for node in ${RABBITMQ_CLUSTER_NODES//,/ }; do
        rabbitmqctl -q -n "$node" list_queues name leader 2>/dev/null | awk -v q="$1" '$1 == q { print $2; found = 1 } END { exit !found }' && return
    done
}

rabbit_kill9() {
    local pid
    pid="$(rabbit_pid)"
    say "kill -9 RabbitMQ node 1 ($RABBITMQ_NODE, pid $pid)"
    kill -KILL "$pid"
}

rabbit_start() { scripts/servers.sh start rabbitmq >/dev/null; }

rabbitctl() { rabbitmqctl -q -n "$RABBITMQ_NODE" "$@" >/dev/null; }

redis_pid() { # [PORT]
    case "$TOPOLOGY" in
        ha) cat "$ROOT/.local/redis-sentinel-data/${1:-$(redis_master_port)}/redis.pid" ;;
        cluster) cat "$ROOT/.local/redis-cluster/${1:-$(redis_master_port)}/redis.pid" ;;
        *) cat "$ROOT/.local/redis/$REDIS_PORT/redis.pid" ;;
    esac
}

# Waits (at most 60 s) until node 2's queues are empty, so nothing is stranded there when the
# services leave it.
drain_node2() {
    local i
    for ((i = 0; i < 60; i++)); do
        rabbitmqctl -q -n "$RABBITMQ2_NODE" list_queues messages 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { n += $1 } END { exit n > 0 }' && return 0
        sleep 1
    done
    say "node 2 still holds messages after 60 s"
}

# --- scenarios ----------------------------------------------------------------------------------

# Waits for background jobs other than the long-running processes.
wait_for_jobs() {
    local job
    for job in $(jobs -p); do
        [[ " ${PIDS_STARTED[*]} " == *" $job "* ]] || wait "$job" 2>/dev/null || true
    done
}

reset_state() {
    # A node killed by the previous scenario rejoins as a replica and syncs; a fault before that
    # would find a master without one.
    [[ "$TOPOLOGY" != cluster ]] || cluster_wait_settled 60 || true
    # Leftover messages from an earlier scenario would decide orders against this one's stock.
    "$CHAOS_BIN" purge --amqp "amqp://guest:guest@127.0.0.1:$AMQP_PORT/" --queues orders.queue,notifier.queue,orders.dead 2>/dev/null || say "purging node 1 failed"
    if [[ "$NODE2" == 1 ]]; then
        "$CHAOS_BIN" purge --amqp "$NODE2_URL" --queues orders.queue,notifier.queue,orders.dead 2>/dev/null || say "purging node 2 failed"
    fi
    redis_flushall
    for ((i = 0; i < SKUS; i++)); do rcli SET "inventory:chaos-sku-$i" "$STOCK" >/dev/null; done
    rcli SET inventory:chaos-probe 1000000 >/dev/null
}

run_scenario() {
    local name="$1" ledger="$WORK/$1.jsonl" load_pid probe_pid status=0 hold duration pids_before pids_after offset healed=""
    hold="$(hold_of "$name")"
    if [[ -n "$hold" ]]; then duration=$((LEAD + hold + TAIL)); else duration="$DURATION"; fi
    STOCK=$((RATE * duration * 2 * 8 / 10 / SKUS))
    echo
    say "=== scenario $name: $RATE req/s for $duration s, stock $STOCK x $SKUS SKUs"
    ensure_services
    if [[ "$name" == failover ]]; then
        BROKERS="$NODE1_URL,$NODE2_URL"
        restart_services "${PIPELINE[@]}"
    fi
    reset_state
    pids_before="$(service_pids)"
    offset="$(stat -c %s "$WORK/notifier.log")"
    "$CHAOS_BIN" load --gateway "$GATEWAYS" --rate "$RATE" --duration "$duration" \
        --timeout-ms "$CLIENT_TIMEOUT_MS" --skus "$SKUS" --ledger "$ledger" --nonce "$name-$RANDOM" \
        --redis "$REDIS_DIRECT" --samples "$WORK/$name.samples.json" --rss-pid-file "$WORK/gateway.pid" &
    load_pid=$!
    if [[ -n "$hold" ]]; then sleep "$LEAD"; else sleep $((DURATION / 3)); fi
    ACTIVE_FAULT="$name"
    inject "$name"
    if [[ -n "$hold" ]]; then
        sleep "$hold"
        lift "$name"
    fi
    ACTIVE_FAULT=""
    "$CHAOS_BIN" probe --gateway "127.0.0.1:$GATEWAY_PORT" --redis "$REDIS_DIRECT" --ledger "$WORK/$name.probe.jsonl" \
        --result "$WORK/$name.recovery.json" --give-up-seconds "$PROBE_GIVE_UP" --nonce "$name-$RANDOM" &
    probe_pid=$!
    wait "$load_pid" || status=$?
    wait "$probe_pid" || status=$?
    pids_after="$(service_pids)"
    cat "$WORK/$name.probe.jsonl" >>"$ledger"
    if ! grep -q notifiedAfter "$WORK/$name.recovery.json"; then
        say "the pipeline did not recover on its own: restarting the services before reconciling"
        restart_services "${PIPELINE[@]}"
        healed=" (services restarted after the scenario)"
    fi
    if [[ "$name" == failover ]]; then
        say "waiting for node 2 to drain, then restarting node 1 and moving the services back to it alone, so its queued messages are delivered"
        drain_node2
        rabbit_start
        BROKERS="$NODE1_URL"
        restart_services "${PIPELINE[@]}"
    fi
    wait_ready "${PIPELINE[@]}"
    "$CHAOS_BIN" reconcile --redis "$REDIS_DIRECT" --ledger "$ledger" --initial-stock "$STOCK" \
        --skus "$SKUS" --wait-seconds "$WAIT_SECONDS" --scenario "$name" \
        --sender-log "$WORK/notifier.log" --sender-log-offset "$offset" --samples "$WORK/$name.samples.json" \
        --record-faults "$(record_faults "$name")" \
        --deadline-ms "$REQUEST_DEADLINE_MS" --inflight-ttl-ms $((INFLIGHT_TTL_SECONDS * 1000)) --deadline-slack-ms "$DEADLINE_SLACK_MS" \
        --recovery "$WORK/$name.recovery.json" --accept-bound-seconds "$RECOVERY_BOUND" \
        --notify-bound-seconds $((RECOVERY_BOUND + NOTIFY_BOUND)) \
        --pids-before "$pids_before" --pids-after "$pids_after" --restarted "$(restarted_by "$name")" \
        --rss-limit-mib "$RSS_LIMIT_MIB" | tee "$WORK/$name.table" || status=$?
    [[ "$status" == 0 ]] || FAILED+=("$name")
    local failing
    failing="$(grep VIOLATION "$WORK/$name.table" | sed -E 's/^ +//; s/ {2,}.*//' | paste -sd ';' | sed 's/;/; /g' || true)"
    SUMMARY+=("$(printf '%-31s %-4s %s%s' "$name" "$([[ "$status" == 0 ]] && echo PASS || echo FAIL)" "${failing:-}" "$healed")")
}

GATEWAYS="127.0.0.1:$GATEWAY_PORT"
if [[ "$HA" == 1 ]]; then
    GATEWAYS="$GATEWAYS,127.0.0.1:$GATEWAY2_PORT"
else
    start_proxy amqp-proxy "$AMQP_PROXY_PORT" "127.0.0.1:$AMQP_PORT"
    start_proxy redis-proxy "$REDIS_PROXY_PORT" "127.0.0.1:$REDIS_PORT"
fi
for role in "${ROLES[@]}"; do start_service "$role"; done
wait_ready "${ROLES[@]}"

for scenario in "${SCENARIOS[@]}"; do run_scenario "$scenario"; done

if [[ "$ABUSE" == 1 ]]; then
    echo
    say "=== HTTP abuse against the gateway"
    ensure_services
    reset_state
    "$CHAOS_BIN" abuse --gateway "127.0.0.1:$GATEWAY_PORT" --idle-connections "$([[ "$SHORT" == 1 ]] && echo 2000 || echo 10000)" || FAILED+=("http-abuse")
fi

echo
echo "== summary ($RATE req/s, topology $TOPOLOGY$([[ "$SHORT" == 1 ]] && echo ", --short"))"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
if [[ ${#FAILED[@]} -eq 0 ]]; then
    say "all scenarios passed"
else
    say "FAILED: ${FAILED[*]}"
    exit 1
fi
