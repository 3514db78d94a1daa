#!/usr/bin/env bash
# Pipeline benchmark: wrk load on POST /orders of our gateway (the four services as separate
# release processes on their own Redis and RabbitMQ) next to the Go seed gateway with publisher
# confirms, measured in the same run, rounds alternating seed and ours.
#
#   scripts/bench/pipeline.sh [DURATION=30s] [CONNECTIONS=64]
#
# Per round and side it prints accepted/s (wrk's responses minus its non-2xx count over its run,
# the same for both sides: a gateway's only 2xx is 202), wrk's p50/p99 and its non-2xx count.
# For ours it then waits for quiescence (both queues empty and metrics:totals unchanged) and prints end-to-end latency accepted → notified
# (accepted_at/notified_at stamped by the Redis scripts on one clock), the RSS of each service and
# the reconciliation verdict:
#   every 202 was decided (202s = reserved + rejected orders of the run),
#   inventory = initial − Σ reserved qty, and one `sent` notification per order.
#
# Environment (defaults in brackets): ROUNDS [1], THREADS [2], INVENTORY [100000000],
#   REDIS_PORT [16400], AMQP_PORT [5690], RABBITMQ_NODE [pbench1@localhost], BASE_PORT [18180],
#   PREFETCH (passed to the services when set), QUIESCE_TIMEOUT [180] seconds,
#   CONSUMERS_DURING_LOAD [1]: 0 pauses (SIGSTOP) the processor and notifier while wrk runs and
#   resumes them for the drain, so the gateway is measured on the footing of the seed, whose
#   queue has no consumer; the whole pipeline is still checked and reconciled afterwards.
# Each round's order keys are deleted once it is reconciled. The servers this script starts are
# stopped at the end; servers already running are reused. The report ends with RESULT lines for
# scripts/bench.sh. Installs wrk, redis-tools, curl, golang-go and Debian's amqp091-go and redigo
# when missing (scripts/servers.sh installs the servers); the seed gateway
# (Benchmarks/peers/go/seedgateway) is built into .build-bench/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${1:-30s}"
CONNECTIONS="${2:-64}"
ROUNDS="${ROUNDS:-1}"
THREADS="${THREADS:-2}"
INVENTORY="${INVENTORY:-100000000}"
BASE_PORT="${BASE_PORT:-18180}"
QUIESCE_TIMEOUT="${QUIESCE_TIMEOUT:-180}"
CONSUMERS_DURING_LOAD="${CONSUMERS_DURING_LOAD:-1}"
export REDIS_PORT="${REDIS_PORT:-16400}" AMQP_PORT="${AMQP_PORT:-5690}" RABBITMQ_NODE="${RABBITMQ_NODE:-pbench1@localhost}"
SKU=bench-sku
SEED_VHOST=seed
SEED_PORT=$((BASE_PORT + 10))
LUA="$ROOT/Benchmarks/peers/wrk/orders.lua"
WORK="$(mktemp -d /tmp/bench-pipeline.XXXXXX)"
HOST=127.0.0.1

say() { echo "bench-pipeline: $*" >&2; }
die() { echo "bench-pipeline: error: $*" >&2; exit 1; }

# --- cleanup: only what this script started -----------------------------------------------------

PIDS=()
SERVERS_STARTED=""
cleanup() {
    local pid
    # A paused service must run again to act on SIGTERM.
    for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -n "$SERVERS_STARTED" ]]; then
        # shellcheck disable=SC2086 # a list of server names
        "$ROOT/scripts/servers.sh" stop $SERVERS_STARTED || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'say "failed at line $LINENO: $BASH_COMMAND"' ERR

# --- build and servers --------------------------------------------------------------------------

cd "$ROOT"
. scripts/lib/bench.sh
bench_need wrk:wrk redis-tools:redis-cli curl:curl
say "building the Go seed gateway"
SEEDGATEWAY="$(bench_go_peer seedgateway amqp091 redigo)"
say "building release products"
for product in order-gateway order-processor order-notifier order-dashboard; do
    swift build -c release --product "$product" >&2
done
BIN="$(swift build -c release --show-bin-path)"

eval "$("$ROOT/scripts/servers.sh" start redis rabbitmq)"
REDIS=(redis-cli -h "$HOST" -p "$REDIS_PORT")
RABBITCTL=(rabbitmqctl -q -n "$RABBITMQ_NODE")
"${RABBITCTL[@]}" add_vhost "$SEED_VHOST" >/dev/null 2>&1 || true
"${RABBITCTL[@]}" set_permissions -p "$SEED_VHOST" guest ".*" ".*" ".*" >/dev/null
"${REDIS[@]}" SET "inventory:$SKU" "$INVENTORY" >/dev/null
# Messages left by an interrupted earlier run would be counted against this one.
for queue in orders.queue notifier.queue; do "${RABBITCTL[@]}" purge_queue "$queue" >/dev/null 2>&1 || true; done
"${RABBITCTL[@]}" purge_queue -p "$SEED_VHOST" orders.queue >/dev/null 2>&1 || true

# --- processes ----------------------------------------------------------------------------------

export REDIS_URL RABBITMQ_URLS="$AMQP_URL" HOST GATEWAY_PORT=$BASE_PORT DASHBOARD_PORT=$((BASE_PORT + 1)) \
    PROCESSOR_PORT=$((BASE_PORT + 2)) NOTIFIER_PORT=$((BASE_PORT + 3))
for port in "$GATEWAY_PORT" "$DASHBOARD_PORT" "$PROCESSOR_PORT" "$NOTIFIER_PORT" "$SEED_PORT"; do
    ! timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$port" 2>/dev/null || die "port $port is in use (another run?); set BASE_PORT"
done
declare -A SERVICE_PID SERVICE_PORT=([gateway]=$GATEWAY_PORT [dashboard]=$DASHBOARD_PORT [processor]=$PROCESSOR_PORT [notifier]=$NOTIFIER_PORT)
SERVICES=(gateway processor notifier dashboard)
for service in "${SERVICES[@]}"; do
    "$BIN/order-$service" 2>"$WORK/$service.log" &
    SERVICE_PID[$service]=$!
    PIDS+=($!)
done
"$SEEDGATEWAY" -confirm -listen "$HOST:$SEED_PORT" -redis "$HOST:$REDIS_PORT" \
    -amqp "amqp://guest:guest@$HOST:$AMQP_PORT/$SEED_VHOST" 2>"$WORK/seed.log" &
SEED_PID=$!
PIDS+=($!)

http_ok() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$HOST:$1$2")" == 200 ]]; }
for ((i = 0; i < 600; i++)); do
    ready=1
    for service in "${SERVICES[@]}"; do http_ok "${SERVICE_PORT[$service]}" /readyz || ready=0; done
    [[ "$ready" == 1 ]] && break
    for service in "${SERVICES[@]}"; do
        kill -0 "${SERVICE_PID[$service]}" 2>/dev/null || { tail -n 20 "$WORK/$service.log" >&2; die "order-$service exited"; }
    done
    sleep 0.1
done
[[ "$ready" == 1 ]] || die "services not ready within 60 s"
for ((i = 0; i < 100; i++)); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$HOST:$SEED_PORT/orders")" == 400 ]] && break
    sleep 0.1
done
say "services ready: $(for s in "${SERVICES[@]}"; do printf '%s pid %s, ' "$s" "${SERVICE_PID[$s]}"; done)seed pid $SEED_PID"

# --- measuring ----------------------------------------------------------------------------------

accepted_202() {
    curl -s "http://$HOST:$GATEWAY_PORT/metrics/prometheus" |
        awk '/^orders_total\{status="202"\}/ { printf "%d", $2; found = 1 } END { if (!found) printf "0" }'
}

# run_wrk PORT NONCE OUT: wrk's report in OUT.
run_wrk() {
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "http://$HOST:$1/orders" -- "$2" >"$3" 2>&1
}

queues_empty() {
    "${RABBITCTL[@]}" list_queues name messages 2>/dev/null |
        awk '$1 == "orders.queue" || $1 == "notifier.queue" { total += $2; seen++ } END { exit !(seen == 2 && total == 0) }'
}

quiesce() {
    local start=$SECONDS previous="" current
    while ((SECONDS - start < QUIESCE_TIMEOUT)); do
        current="$("${REDIS[@]}" HGETALL metrics:totals | tr '\n' ' ')"
        if queues_empty && [[ "$current" == "$previous" ]]; then
            echo $((SECONDS - start))
            return 0
        fi
        previous="$current"
        sleep 1
    done
    echo "timeout"
}

# Counts the run's orders in one pass inside Redis: states, reserved qty, sent notifications and
# end-to-end latency percentiles. ARGV[1] the key pattern. Blocks Redis briefly, after the load.
RECONCILE='
local cursor, orders, decided, reserved, rejected, qty, sent, lat = "0", 0, 0, 0, 0, 0, 0, {}
repeat
  local page = redis.call("SCAN", cursor, "MATCH", ARGV[1], "COUNT", 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local id = string.sub(key, 7)
    local o = redis.call("HMGET", key, "state", "qty", "accepted_at")
    local n = redis.call("HMGET", "notifications:" .. id, "status", "notified_at")
    orders = orders + 1
    if o[1] == "reserved" or o[1] == "notified" then
      reserved = reserved + 1; decided = decided + 1; qty = qty + tonumber(o[2])
    elseif o[1] == "rejected" then
      rejected = rejected + 1; decided = decided + 1
    end
    if n[1] == "sent" then
      sent = sent + 1
      if o[3] and n[2] then lat[#lat + 1] = tonumber(n[2]) - tonumber(o[3]) end
    end
  end
until cursor == "0"
table.sort(lat)
local function pct(p) if #lat == 0 then return -1 end return lat[math.max(1, math.ceil(#lat * p))] end
return {orders, decided, reserved, rejected, qty, sent, #lat, pct(0.5), pct(0.99), pct(1.0)}
'

# CPU seconds (user + system) a process has used so far.
cpu_s() { awk '{ printf "%.1f", ($14 + $15) / ticks }' ticks="$(getconf CLK_TCK)" "/proc/$1/stat" 2>/dev/null || echo 0; }
REDIS_PID="$(tr -dc 0-9 <"$ROOT/.local/redis/$REDIS_PORT/redis.pid" 2>/dev/null || true)"
BEAM_PID="$(tr -dc 0-9 <"$(readlink -f "$ROOT/.local/rabbitmq/$RABBITMQ_NODE")/rabbitmq.pid" 2>/dev/null || true)"
# cpu_line: CPU seconds of every process involved, to see where a side's time goes.
cpu_line() {
    local service
    for service in "${SERVICES[@]}"; do printf '%s %s ' "$service" "$(cpu_s "${SERVICE_PID[$service]}")"; done
    printf 'seed %s redis %s rabbitmq %s\n' "$(cpu_s "$SEED_PID")" "$(cpu_s "${REDIS_PID:-0}")" "$(cpu_s "${BEAM_PID:-0}")"
}
# cpu_delta BEFORE AFTER: per-process difference of two cpu_line outputs.
cpu_delta() {
    awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
        for (i = 1; i < n; i += 2) printf "%s %.1f%s", x[i], y[i + 1] - x[i + 1], (i + 2 < n ? ", " : "\n") }'
}

# forget_run NONCE: deletes the keys of one run's orders once it is reconciled, so the benchmark's
# Redis (and its AOF on disk) does not grow by a few hundred thousand orders every round.
FORGET_STEP='
local page = redis.call("SCAN", ARGV[1], "MATCH", ARGV[2], "COUNT", 2000)
if #page[2] > 0 then redis.call("UNLINK", unpack(page[2])) end
return page[1]
'
forget_run() {
    local prefix cursor
    for prefix in order idem:order notifications; do
        cursor=0
        while cursor=$("${REDIS[@]}" EVAL "$FORGET_STEP" 0 "$cursor" "$prefix:$1-*") && [[ "$cursor" != 0 ]]; do :; done
    done
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

RESULTS="$WORK/results"
: >"$RESULTS"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
    # --- seed ---
    nonce="s$(date +%s%N)"
    say "round $round: seed gateway, wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
    cpu_before="$(cpu_line)"
    run_wrk "$SEED_PORT" "$nonce" "$WORK/seed-$round.wrk"
    echo "round $round, seed: CPU seconds during load: $(cpu_delta "$cpu_before" "$(cpu_line)")" >>"$WORK/details"
    requests=$(wrk_field "$WORK/seed-$round.wrk" requests); non2xx=$(wrk_field "$WORK/seed-$round.wrk" non2xx)
    seconds=$(wrk_field "$WORK/seed-$round.wrk" seconds)
    echo "seed $round $(awk -v r="$requests" -v n="$non2xx" -v s="$seconds" 'BEGIN { printf "%.0f", (r - n) / s }') \
$(wrk_field "$WORK/seed-$round.wrk" p50) $(wrk_field "$WORK/seed-$round.wrk" p99) $non2xx" >>"$RESULTS"
    seed_rss=$(rss_kb "$SEED_PID")
    # The seed's queue has no consumer; emptying it keeps the broker equally loaded for ours.
    "${RABBITCTL[@]}" purge_queue -p "$SEED_VHOST" orders.queue >/dev/null 2>&1 || true

    # --- ours ---
    nonce="o$(date +%s%N)"
    inventory_before=$("${REDIS[@]}" GET "inventory:$SKU")
    before=$(accepted_202)
    say "round $round: our gateway, wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
    cpu_before="$(cpu_line)"
    [[ "$CONSUMERS_DURING_LOAD" == 1 ]] || kill -STOP "${SERVICE_PID[processor]}" "${SERVICE_PID[notifier]}"
    run_wrk "$GATEWAY_PORT" "$nonce" "$WORK/ours-$round.wrk"
    [[ "$CONSUMERS_DURING_LOAD" == 1 ]] || kill -CONT "${SERVICE_PID[processor]}" "${SERVICE_PID[notifier]}"
    cpu_load="$(cpu_delta "$cpu_before" "$(cpu_line)")"
    paused_note=""
    [[ "$CONSUMERS_DURING_LOAD" == 1 ]] || paused_note=" (consumers were paused during the load: this is mostly the wait for them)"
    declare -A rss=() hwm=()
    for service in "${SERVICES[@]}"; do rss[$service]=$(rss_kb "${SERVICE_PID[$service]}"); done
    quiet=$(quiesce)
    # Read once idle: requests still in flight when wrk stopped are answered 202 after it.
    after=$(accepted_202)
    for service in "${SERVICES[@]}"; do hwm[$service]=$(hwm_kb "${SERVICE_PID[$service]}"); done
    seconds=$(wrk_field "$WORK/ours-$round.wrk" seconds)
    accepted=$((after - before))
    requests=$(wrk_field "$WORK/ours-$round.wrk" requests)
    # The rate counts what wrk saw answered 202 within its run, as for the seed; the gateway's own
    # count (which also has the requests answered after wrk stopped) is what the reconciliation uses.
    ours_202=$(( requests - $(wrk_field "$WORK/ours-$round.wrk" non2xx) ))
    echo "ours $round $(awk -v a="$ours_202" -v s="$seconds" 'BEGIN { printf "%.0f", a / s }') \
$(wrk_field "$WORK/ours-$round.wrk" p50) $(wrk_field "$WORK/ours-$round.wrk" p99) $(wrk_field "$WORK/ours-$round.wrk" non2xx)" >>"$RESULTS"
    mapfile -t r < <("${REDIS[@]}" EVAL "$RECONCILE" 0 "order:$nonce-*")
    inventory_after=$("${REDIS[@]}" GET "inventory:$SKU")
    verdict=PASS; why=()
    [[ "${r[1]}" == "$accepted" ]] || { verdict=FAIL; why+=("202s $accepted != decided ${r[1]}"); }
    [[ "${r[0]}" == "$accepted" ]] || { verdict=FAIL; why+=("202s $accepted != orders in Redis ${r[0]}"); }
    [[ $((inventory_before - r[4])) == "$inventory_after" ]] || { verdict=FAIL; why+=("inventory $inventory_after != $inventory_before - ${r[4]}"); }
    [[ "${r[5]}" == "${r[0]}" ]] || { verdict=FAIL; why+=("sent ${r[5]} != orders ${r[0]}"); }
    [[ "$quiet" != timeout ]] || { verdict=FAIL; why+=("no quiescence within ${QUIESCE_TIMEOUT}s"); }
    {
        echo "round $round, ours: quiescent ${quiet}s after the load; wrk counted $requests responses, the gateway $accepted 202s"
        echo "  CPU seconds during load: $cpu_load"
        echo "  end-to-end accepted → notified over ${r[6]} orders: p50 ${r[7]} ms, p99 ${r[8]} ms, max ${r[9]} ms$paused_note"
        printf '  RSS after load (peak) MiB: gateway %s (%s), processor %s (%s), notifier %s (%s), dashboard %s (%s); seed gateway %s\n' \
            $((rss[gateway] / 1024)) $((hwm[gateway] / 1024)) $((rss[processor] / 1024)) $((hwm[processor] / 1024)) \
            $((rss[notifier] / 1024)) $((hwm[notifier] / 1024)) $((rss[dashboard] / 1024)) $((hwm[dashboard] / 1024)) $((seed_rss / 1024))
        echo "  reconciliation: orders ${r[0]}, reserved ${r[2]}, rejected ${r[3]}, reserved qty ${r[4]}, sent ${r[5]};" \
            "inventory $inventory_before → $inventory_after: $verdict${why:+ (${why[*]})}"
    } >>"$WORK/details"
    forget_run "$nonce"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report -------------------------------------------------------------------------------------

echo
echo "pipeline benchmark: wrk -t$THREADS -c$CONNECTIONS -d$DURATION POST /orders, $ROUNDS round(s), $(nproc) cores"
echo "load average before $LOAD_BEFORE, after $LOAD_AFTER"
printf '%-6s %-5s %12s %10s %10s %9s\n' side round accepted/s "p50 ms" "p99 ms" non-202
while read -r side round rate p50 p99 bad; do
    printf '%-6s %-5s %12s %10s %10s %9s\n' "$side" "$round" "$rate" "$p50" "$p99" "$bad"
done <"$RESULTS"
awk '
    $1 == "seed" && $3 > seed { seed = $3 } $1 == "ours" && $3 > ours { ours = $3 }
    $1 == "ours" && (best99 == "" || $5 < best99) { best99 = $5 }
    $1 == "seed" { round_seed[$2] = $3 } $1 == "ours" { round_ours[$2] = $3; rounds = $2 }
    END {
        printf "best accepted/s: ours %d, seed %d, ratio ours/seed %.2fx (goal >= 2x); best p99 ours %s ms (goal <= 20)\n", ours, seed, (seed ? ours / seed : 0), best99
        printf "ratio ours/seed per round (each pair run back to back):"
        for (r = 1; r <= rounds; r++) printf " %.2fx", (round_seed[r] ? round_ours[r] / round_seed[r] : 0)
        printf "\n"
    }' "$RESULTS"
bench_result accepted-orders "$(awk '$1 == "ours" && $3 > m { m = $3 } END { print m + 0 }' "$RESULTS")" seed-gateway \
    "$(awk '$1 == "seed" && $3 > m { m = $3 } END { print m + 0 }' "$RESULTS")" orders/s higher
bench_result p99-latency "$(awk '$1 == "ours" && (m == "" || $5 < m) { m = $5 } END { print m }' "$RESULTS")" seed-gateway \
    "$(awk '$1 == "seed" && (m == "" || $5 < m) { m = $5 } END { print m }' "$RESULTS")" ms lower
echo
cat "$WORK/details"
grep -q FAIL "$WORK/details" && exit 1
exit 0
