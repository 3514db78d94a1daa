# Sourced by scripts that run the pipeline's services as separate processes against servers of
# their own (bash). Needs ROOT set to the repository's root.
#
#   services_servers NODE REDIS AMQP    starts (or reuses) a Redis on port REDIS and a RabbitMQ node
#                                       NODE@localhost on port AMQP through scripts/servers.sh;
#                                       sets SERVERS_STARTED, exports the services' REDIS_URL and
#                                       RABBITMQ_URLS
#   services_ports BASE                 exports the services' ports: gateway BASE, dashboard
#                                       BASE+1, processor BASE+2, notifier BASE+3
#   services_cleanup                    stops the services, then the servers services_servers
#                                       started (for an EXIT trap)
#   services_build [debug|release]      builds the four service products; sets SERVICES_BIN
#   services_start NAME...              starts order-NAME for each (gateway processor notifier
#                                       dashboard) with the environment as it is, logs in
#                                       $SERVICES_LOGS/NAME.log; sets SERVICE_PID[NAME]
#   services_wait_ready PORT...         waits up to 60 s until every /readyz answers 200
#   services_stop [NAME...]             SIGTERM, then waits (SIGKILL after 15 s); all by default

declare -gA SERVICE_PID=()
SERVICES_LOGS="${SERVICES_LOGS:-$(mktemp -d)}"

services_build() {
    local configuration="${1:-debug}" product
    for product in order-gateway order-processor order-notifier order-dashboard; do
        swift build -c "$configuration" --product "$product" >&2
    done
    SERVICES_BIN="$(swift build -c "$configuration" --show-bin-path)"
}

services_start() {
    local name
    for name in "$@"; do
        "$SERVICES_BIN/order-$name" 2>>"$SERVICES_LOGS/$name.log" &
        SERVICE_PID[$name]=$!
    done
}

services_wait_ready() {
    local port ready i
    for ((i = 0; i < 600; i++)); do
        ready=1
        for port in "$@"; do
            [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" == 200 ]] || ready=0
        done
        [[ "$ready" == 1 ]] && return 0
        for name in "${!SERVICE_PID[@]}"; do
            kill -0 "${SERVICE_PID[$name]}" 2>/dev/null || { tail -n 20 "$SERVICES_LOGS/$name.log" >&2; echo "order-$name exited" >&2; return 1; }
        done
        sleep 0.1
    done
    echo "services not ready within 60 s (ports $*)" >&2
    return 1
}

services_stop() {
    local names=("$@") name i
    ((${#names[@]})) || names=("${!SERVICE_PID[@]}")
    for name in "${names[@]}"; do
        [[ -n "${SERVICE_PID[$name]:-}" ]] && kill -TERM "${SERVICE_PID[$name]}" 2>/dev/null || true
    done
    for name in "${names[@]}"; do
        [[ -n "${SERVICE_PID[$name]:-}" ]] || continue
        for ((i = 0; i < 150; i++)); do kill -0 "${SERVICE_PID[$name]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${SERVICE_PID[$name]}" 2>/dev/null || true
        wait "${SERVICE_PID[$name]}" 2>/dev/null || true
        unset "SERVICE_PID[$name]"
    done
}

services_servers() {
    export RABBITMQ_NODE="$1@localhost" REDIS_PORT="$2" AMQP_PORT="$3"
    eval "$(scripts/servers.sh start redis rabbitmq)"
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" RABBITMQ_URLS="$AMQP_URL" HOST=127.0.0.1
}

services_ports() {
    export GATEWAY_PORT=$1 DASHBOARD_PORT=$(($1 + 1)) PROCESSOR_PORT=$(($1 + 2)) NOTIFIER_PORT=$(($1 + 3))
}

services_cleanup() {
    services_stop
    if [[ -n "${SERVERS_STARTED:-}" ]]; then
        # shellcheck disable=SC2086 # a list of names
        scripts/servers.sh stop $SERVERS_STARTED >&2 || true
    fi
    rm -rf "$SERVICES_LOGS"
}
