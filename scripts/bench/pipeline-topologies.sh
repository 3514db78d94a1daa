#!/usr/bin/env bash
# The cost of high availability: the pipeline benchmark (scripts/bench/pipeline.sh, consumers
# running, ours alone) on each Redis and RabbitMQ topology one after the other in one run, with
# accepted orders per second, wrk's p99, end-to-end p99 (accepted → notified) and the CPU each part
# spends per order, and each topology's throughput as a ratio of the first's.
#
#   scripts/bench/pipeline-topologies.sh [DURATION=15s] [CONNECTIONS=64]
#
# Environment: TOPOLOGIES ["single/single sentinel/single cluster/single sentinel/cluster"], each
# REDIS/RABBITMQ with Redis single, sentinel or cluster and RabbitMQ single or cluster (three
# nodes, quorum queues); ROUNDS [2] per topology (the best is reported); REDIS_SHARDS and the
# rest of pipeline.sh's variables pass through. A topology whose reconciliation fails fails the run.
# The report ends with RESULT lines for scripts/bench.sh, each topology against the first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${1:-15s}"
CONNECTIONS="${2:-64}"
TOPOLOGIES="${TOPOLOGIES:-single/single sentinel/single cluster/single sentinel/cluster}"
export ROUNDS="${ROUNDS:-2}"
WORK="$(mktemp -d /tmp/bench-topologies.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
. scripts/lib/bench.sh

say() { echo "bench-topologies: $*" >&2; }
failed=0
for topology in $TOPOLOGIES; do
    redis="${topology%/*}" rabbitmq="${topology#*/}"
    log="$WORK/$redis-$rabbitmq.log"
    say "Redis $redis, RabbitMQ $rabbitmq: ROUNDS=$ROUNDS wrk -c$CONNECTIONS -d$DURATION"
    if ! REDIS_TOPOLOGY="$redis" BROKER_TOPOLOGY="$rabbitmq" SEED=0 scripts/bench/pipeline.sh "$DURATION" "$CONNECTIONS" >"$log" 2>&1; then
        failed=1
        say "Redis $redis, RabbitMQ $rabbitmq failed:"
        tail -n 20 "$log" >&2
    fi
    # The best round of the topology.
    grep '^ROUND ' "$log" | sort -t= -k5 -n -r | head -n 1 | sed 's/=/ /g' >>"$WORK/best" || true
done

# field NAME LINE: the value after NAME in a `ROUND name=value ...` line whose = became spaces.
echo
echo "pipeline on each topology: wrk -c$CONNECTIONS -d$DURATION POST /orders, best of $ROUNDS round(s), consumers running, $(nproc) cores"
awk '
    function field(name,   i) { for (i = 2; i < NF; i += 2) if ($i == name) return $(i + 1); return "-" }
    BEGIN { printf "%-18s %11s %8s %8s %12s | %s\n", "redis/rabbitmq", "accepted/s", "ratio", "p99 ms", "e2e p99 ms", "CPU µs per order: gateway processor notifier redis rabbitmq" }
    {
        rate = field("accepted_per_s"); if (NR == 1) first = rate
        printf "%-18s %11s %7.2fx %8s %12s | %7s %9s %8s %6s %8s  %s\n", field("redis") "/" field("rabbitmq"), rate, (first ? rate / first : 0),
            field("p99_ms"), field("e2e_p99_ms"), field("gateway_us"), field("processor_us"), field("notifier_us"), field("redis_us"),
            field("rabbitmq_us"), field("verdict")
    }' "$WORK/best"
first_name="" first_rate=""
while read -r -a f; do
    name="" rate=""
    for ((i = 1; i < ${#f[@]} - 1; i += 2)); do
        case "${f[i]}" in redis) name="${f[i + 1]}" ;; rabbitmq) name="$name-${f[i + 1]}" ;; accepted_per_s) rate="${f[i + 1]}" ;; esac
    done
    if [[ -z "$first_name" ]]; then first_name="$name" first_rate="$rate"; continue; fi
    bench_result "pipeline-$name" "$rate" "pipeline-$first_name" "$first_rate" orders/s higher
done <"$WORK/best"
exit "$failed"
