# shellcheck shell=bash
# The faults of scripts/chaos/chaos.sh, sourced by it: for each scenario, what it injects and
# lifts, how long it holds, which services it restarts itself, and whether it can fall between a
# notification's send and its record. Uses chaos.sh's helpers (say, kill9, rabbit_*, redis_*,
# rcli, start_service, ...).

# record_faults SCENARIO: yes when the fault can fall between a notifier's send and its record in
# Redis, so the notification may be sent again once the lease expires (at-least-once sending).
record_faults() {
    case "$1" in
        kill-notifier | redis-kill | proxy-cut | redis-hang | redis-sleep | redis-lost-replies | redis-refuse-writes) echo yes ;;
        kill-notifier-twin | redis-master-kill | redis-master-kill-lagging) echo yes ;;
        redis-cluster-master-kill | redis-cluster-other-master-kill) echo yes ;;
        *) echo no ;;
    esac
}

# twin_role SCENARIO: the role a kill-<role>-twin scenario kills one instance of.
twin_role() {
    local role="${1#kill-}"
    echo "${role%-twin}"
}

# restarted_by SCENARIO: the services the scenario itself restarts.
restarted_by() {
    case "$1" in
        kill-gateway | kill-processor | kill-notifier) echo "${1#kill-}" ;;
        failover) echo "gateway processor notifier" ;;
        kill-gateway-twin | kill-processor-twin | kill-notifier-twin) twin_role "$1" ;;
        *) echo "" ;;
    esac
}

# hold_of SCENARIO: seconds between injecting the fault and lifting it; none for the scenarios
# whose fault is over when `inject` returns.
hold_of() {
    case "$1" in
        rabbitmq-hang | redis-hang | redis-sleep | rabbitmq-memory-alarm | rabbitmq-disk-alarm | redis-refuse-writes) echo "$HANG" ;;
        redis-lost-replies) echo "$LOST_REPLIES" ;;
        redis-master-kill | redis-master-kill-lagging | rabbitmq-leader-kill | rabbitmq-node-stop | kill-gateway-twin | kill-processor-twin | kill-notifier-twin) echo "$HA_HOLD" ;;
        redis-cluster-master-kill | redis-cluster-failover | redis-cluster-other-master-kill) echo "$HA_HOLD" ;;
        delete-orders-queue | delete-notifier-queue | purge-orders-queue | purge-notifier-queue) echo 0 ;;
        *) echo "" ;;
    esac
}

# inject SCENARIO: the fault, a little into the load. Faults with a hold last until `lift`.
inject() {
    case "$1" in
        baseline) ;;
        kill-gateway | kill-processor | kill-notifier)
            local role="${1#kill-}"
            kill9 "$role"
            sleep 1
            start_service "$role"
            ;;
        rabbitmq-stop)
            say "stopping RabbitMQ node 1 gracefully"
            scripts/servers.sh stop rabbitmq 2>/dev/null
            sleep 2
            rabbit_start
            ;;
        rabbitmq-kill)
            rabbit_kill9
            sleep 2
            rabbit_start
            ;;
        failover)
            # Node 2 stands alone (no cluster): what node 1 held comes back only when node 1 does.
            rabbit_kill9
            ;;
        redis-kill)
            say "kill -9 redis (appendfsync always)"
            kill -KILL "$(redis_pid)"
            sleep 1
            scripts/servers.sh start redis >/dev/null
            ;;
        proxy-cut)
            local n
            for n in 1 2 3; do
                say "cutting every RabbitMQ and Redis connection mid-frame (#$n)"
                kill -USR1 "${PID[amqp-proxy]}" "${PID[redis-proxy]}"
                sleep 1
            done
            say "stalling RabbitMQ and Redis connections for 3 s"
            kill -USR2 "${PID[amqp-proxy]}" "${PID[redis-proxy]}"
            sleep 3
            kill -USR2 "${PID[amqp-proxy]}" "${PID[redis-proxy]}"
            ;;
        rabbitmq-hang)
            say "SIGSTOP of RabbitMQ node 1's Erlang VM (pid $(rabbit_pid)) for $HANG s"
            kill -STOP "$(rabbit_pid)"
            ;;
        redis-hang)
            say "SIGSTOP of redis-server (pid $(redis_pid)) for $HANG s"
            kill -STOP "$(redis_pid)"
            ;;
        redis-sleep)
            say "DEBUG SLEEP $HANG in Redis"
            rcli DEBUG SLEEP "$HANG" >/dev/null &
            REDIS_SLEEP_PID=$!
            ;;
        rabbitmq-memory-alarm)
            say "memory alarm on RabbitMQ node 1 (vm_memory_high_watermark 0) for $HANG s"
            rabbitctl set_vm_memory_high_watermark 0
            ;;
        rabbitmq-disk-alarm)
            say "disk alarm on RabbitMQ node 1 (disk_free_limit 10000GB) for $HANG s"
            rabbitctl set_disk_free_limit 10000GB
            ;;
        delete-orders-queue | delete-notifier-queue)
            local queue="${1#delete-}"
            queue="${queue%-queue}.queue"
            say "rabbitmqctl delete_queue $queue on node 1"
            # It says how many ready messages went with the queue: the sweep of open orders must
            # decide and notify the orders in them.
            say "$(rabbitmqctl -q -n "$RABBITMQ_NODE" delete_queue "$queue" 2>&1)"
            ;;
        purge-orders-queue | purge-notifier-queue)
            local queue="${1#purge-}" role
            queue="${queue%-queue}.queue"
            role="$([[ "$queue" == orders.queue ]] && echo processor || echo notifier)"
            # Stopped, the consumer takes nothing more, so messages wait in the queue to be purged.
            say "SIGSTOP of the $role (pid ${PID[$role]}) for 3 s, then rabbitmqctl purge_queue $queue on node 1"
            kill -STOP "${PID[$role]}"
            sleep 3
            say "$(rabbitmqctl -q -n "$RABBITMQ_NODE" purge_queue "$queue" 2>&1)"
            kill -CONT "${PID[$role]}"
            ;;
        redis-lost-replies)
            say "Redis replies dropped by the proxy for $LOST_REPLIES s, then every connection cut"
            kill -HUP "${PID[redis-proxy]}"
            ;;
        redis-master-kill)
            KILLED_REDIS="$(redis_master_port)"
            say "kill -9 of the Redis master (port $KILLED_REDIS, pid $(redis_pid "$KILLED_REDIS")); the sentinels promote a replica"
            kill -KILL "$(redis_pid "$KILLED_REDIS")"
            ;;
        redis-master-kill-lagging)
            # The replicas stop taking the master's writes (for less than the sentinels' 2 s
            # down-after), then the master dies: the replica promoted lacks its last writes,
            # which only the writes that waited for a replica (WAIT) were not acknowledged for.
            local port replicas=()
            KILLED_REDIS="$(redis_master_port)"
            for port in "$REDIS_SENTINEL_DATA_PORT" $((REDIS_SENTINEL_DATA_PORT + 1)) $((REDIS_SENTINEL_DATA_PORT + 2)); do
                [[ "$port" == "$KILLED_REDIS" ]] || replicas+=("$(redis_pid "$port")")
            done
            say "SIGSTOP of both Redis replicas for 1.5 s, then kill -9 of the master (port $KILLED_REDIS) and SIGCONT of the replicas"
            kill -STOP "${replicas[@]}"
            sleep 1.5
            kill -KILL "$(redis_pid "$KILLED_REDIS")"
            kill -CONT "${replicas[@]}"
            ;;
        rabbitmq-leader-kill)
            KILLED_NODE="$(queue_leader orders.queue)"
            [[ -n "$KILLED_NODE" ]] || { say "no leader of orders.queue found"; return 1; }
            say "kill -9 of RabbitMQ node $KILLED_NODE (pid $(rabbit_pid "$KILLED_NODE")), the leader of orders.queue, for $HA_HOLD s"
            kill -KILL "$(rabbit_pid "$KILLED_NODE")"
            ;;
        rabbitmq-node-stop)
            KILLED_NODE="$(queue_leader orders.queue)"
            [[ -n "$KILLED_NODE" ]] || { say "no leader of orders.queue found"; return 1; }
            say "stopping RabbitMQ node $KILLED_NODE, the leader of orders.queue, gracefully for $HA_HOLD s"
            rabbitmqctl -q -n "$KILLED_NODE" stop >/dev/null
            ;;
        kill-gateway-twin | kill-processor-twin | kill-notifier-twin)
            local role
            role="$(twin_role "$1")"
            say "kill -9 of one $role of two (its twin ${role}2 keeps running) for $HA_HOLD s"
            kill9 "$role"
            ;;
        redis-cluster-master-kill)
            KILLED_REDIS="$(redis_master_port)"
            [[ -n "$KILLED_REDIS" ]] || { say "no master of inventory:chaos-sku-0 found"; return 1; }
            say "kill -9 of the Redis Cluster master holding the inventory (port $KILLED_REDIS, pid $(redis_pid "$KILLED_REDIS")); the cluster promotes its replica"
            kill -KILL "$(redis_pid "$KILLED_REDIS")"
            ;;
        redis-cluster-other-master-kill)
            KILLED_REDIS="$(cluster_master_without "$(cluster_slot inventory:chaos-sku-0)" "$(cluster_slot inventory:chaos-probe)")"
            [[ -n "$KILLED_REDIS" ]] || { say "every master holds inventory of the load or the probe"; return 1; }
            say "kill -9 of a Redis Cluster master without inventory, holding orders only (port $KILLED_REDIS, pid $(redis_pid "$KILLED_REDIS")); the cluster promotes its replica"
            kill -KILL "$(redis_pid "$KILLED_REDIS")"
            ;;
        redis-cluster-failover)
            local master replica
            master="$(redis_master_port)"
            replica="$(cluster_replicas_of "$master" | head -n 1)"
            [[ -n "$replica" ]] || { say "the master holding the inventory (port $master) has no replica to promote"; return 1; }
            say "CLUSTER FAILOVER on port $replica, the replica of the master holding the inventory (port $master)"
            redis-cli -p "$replica" CLUSTER FAILOVER >/dev/null
            ;;
        redis-refuse-writes)
            REDIS_POLICY="$(rcli CONFIG GET maxmemory-policy | tail -n 1)"
            REDIS_MAXMEMORY="$(rcli CONFIG GET maxmemory | tail -n 1)"
            say "Redis refusing writes (maxmemory 1, noeviction) for $HANG s"
            rcli CONFIG SET maxmemory-policy noeviction >/dev/null
            rcli CONFIG SET maxmemory 1 >/dev/null
            ;;
    esac
}

# lift SCENARIO: ends a fault with a hold.
lift() {
    case "$1" in
        rabbitmq-hang) kill -CONT "$(rabbit_pid)" ;;
        redis-hang) kill -CONT "$(redis_pid)" ;;
        redis-sleep) wait "$REDIS_SLEEP_PID" || true ;;
        rabbitmq-memory-alarm) rabbitctl set_vm_memory_high_watermark 0.4 ;;
        rabbitmq-disk-alarm) rabbitctl set_disk_free_limit 50MB ;;
        redis-lost-replies) kill -HUP "${PID[redis-proxy]}" ;;
        redis-master-kill | redis-master-kill-lagging)
            # Its old configuration names it master; the sentinels turn it into a replica.
            redis-server "$ROOT/.local/redis-sentinel-data/$KILLED_REDIS/redis.conf" >/dev/null
            say "Redis on port $KILLED_REDIS started again; the master is now on port $(redis_master_port)"
            ;;
        redis-cluster-master-kill | redis-cluster-other-master-kill)
            # Its nodes.conf names it master of slots that its replica now serves: the cluster
            # makes it a replica of that one. The fault lasts until it is in sync: until then the
            # promoted master has no replica, and the services, which WAIT for one, refuse the
            # writes of its shards.
            local started="$EPOCHREALTIME"
            redis-server "$ROOT/.local/redis-cluster/$KILLED_REDIS/redis.conf" >/dev/null
            cluster_wait_settled 60 || true
            say "Redis on port $KILLED_REDIS started again, in sync as a replica after $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s; the inventory's master is now on port $(redis_master_port)"
            ;;
        redis-cluster-failover)
            say "the inventory's master is now on port $(redis_master_port)"
            ;;
        rabbitmq-leader-kill | rabbitmq-node-stop)
            scripts/servers.sh start rabbitmq-cluster >/dev/null 2>&1
            say "RabbitMQ node $KILLED_NODE started again; orders.queue is led by $(queue_leader orders.queue)"
            ;;
        kill-gateway-twin | kill-processor-twin | kill-notifier-twin)
            local role
            role="$(twin_role "$1")"
            start_service "$role"
            wait_ready "$role"
            ;;
        redis-refuse-writes)
            rcli CONFIG SET maxmemory "$REDIS_MAXMEMORY" >/dev/null
            rcli CONFIG SET maxmemory-policy "$REDIS_POLICY" >/dev/null
            ;;
    esac
    say "fault lifted"
}
