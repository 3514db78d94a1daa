#!/usr/bin/env bash
# Runs the benchmarks, each comparing this project with its peer in the same run, collects the
# RESULT lines they print and writes a Markdown table of ours against each peer, with ratios, to
# bench-results/<date>-<commit>.md (git-ignored); each benchmark's full output goes next to it, in
# bench-results/<date>-<commit>/<benchmark>.log. The table is printed at the end too.
#
#   scripts/bench.sh [--quick] [--only NAME,...]
#
#   --quick       short runs (one round, fewer requests, seconds instead of tens): checks that
#                 everything builds and runs, with figures too noisy to compare
#   --only NAMES  the benchmarks to run, comma-separated (default: all, in this order):
#                 transport resp resp-client resp-cluster amqp http http-server http-idle pipeline
#                 pipeline-topologies
#
# The benchmarks install what they need with apt-get (as root) and build their peers from
# Benchmarks/peers into .build-bench/. Those that need servers (resp-client, amqp, pipeline) share
# a Redis and a RabbitMQ started by scripts/servers.sh on ports of their own (REDIS_PORT [16400],
# AMQP_PORT [5690], RABBITMQ_NODE [pbench1@localhost]), stopped at the end if this script started
# them; resp-cluster starts and stops a Redis Cluster of its own, pipeline-topologies the Sentinel
# set, Cluster and RabbitMQ cluster it compares. Exits non-zero when a benchmark
# fails or prints no RESULT line.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(transport resp resp-client resp-cluster amqp http http-server http-idle pipeline pipeline-topologies)

# usage STATUS: prints the header above and exits with STATUS.
usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit "$1"
}

quick=0
selected=("${ALL[@]}")
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) quick=1 ;;
        --only) [[ $# -ge 2 ]] || usage 2; IFS=, read -r -a selected <<<"$2"; shift ;;
        --only=*) IFS=, read -r -a selected <<<"${1#--only=}" ;;
        -h | --help) usage 0 ;;
        *) echo "bench: unknown option $1" >&2; usage 2 ;;
    esac
    shift
done
for name in "${selected[@]}"; do
    [[ " ${ALL[*]} " == *" $name "* ]] || { echo "bench: unknown benchmark '$name' (${ALL[*]})" >&2; exit 2; }
done

# command NAME: the script and arguments of one benchmark, short with --quick.
command_of() {
    if [[ $quick == 1 ]]; then
        case $1 in
            transport) echo "env ROUNDS=1 SECONDS_PER_RUN=2 REQUESTS=100000 scripts/bench/transport.sh" ;;
            resp) echo "scripts/bench/resp.sh 1" ;;
            resp-client) echo "scripts/bench/resp-client.sh 1 20000" ;;
            resp-cluster) echo "scripts/bench/resp-cluster.sh 1 20000" ;;
            amqp) echo "env ROUNDS=1 MESSAGES=5000 scripts/bench/amqp.sh" ;;
            http) echo "scripts/bench/http.sh 1 50000" ;;
            http-server) echo "scripts/bench/http-server.sh 1 3s" ;;
            http-idle) echo "scripts/bench/http-idle.sh 1 1000 2" ;;
            pipeline) echo "env ROUNDS=1 scripts/bench/pipeline.sh 5s 64" ;;
            pipeline-topologies) echo "env ROUNDS=1 scripts/bench/pipeline-topologies.sh 5s 64" ;;
        esac
    else
        echo "scripts/bench/$1.sh"
    fi
}

commit="$(git rev-parse --short HEAD)"
[[ -z "$(git status --porcelain --untracked-files=no)" ]] || commit="$commit-dirty"
stamp="$(date +%Y-%m-%d-%H%M%S)-$commit"
mkdir -p bench-results
report="bench-results/$stamp.md"
logs="bench-results/$stamp"
mkdir -p "$logs"

# The servers, on ports of their own so the benchmarks neither disturb nor are disturbed by
# servers used for development; bench-pipeline.sh uses the same defaults and so reuses them.
export REDIS_PORT="${REDIS_PORT:-16400}" AMQP_PORT="${AMQP_PORT:-5690}" RABBITMQ_NODE="${RABBITMQ_NODE:-pbench1@localhost}"
SERVERS_STARTED=""
stop_servers() {
    # shellcheck disable=SC2086 # a list of server names
    [[ -z "$SERVERS_STARTED" ]] || scripts/servers.sh stop $SERVERS_STARTED >>"$logs/servers.log" 2>&1 || true
}
trap stop_servers EXIT
if [[ " ${selected[*]} " == *" resp-client "* || " ${selected[*]} " == *" amqp "* || " ${selected[*]} " == *" pipeline "* || " ${selected[*]} " == *" pipeline-topologies "* ]]; then
    echo "bench: starting Redis on $REDIS_PORT and RabbitMQ on $AMQP_PORT (log in $logs/servers.log)"
    eval "$(scripts/servers.sh start redis rabbitmq 2>>"$logs/servers.log")"
fi

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
results="$logs/results.txt"
: >"$results"
declare -A outcome
failed=0
for name in "${selected[@]}"; do
    command="$(command_of "$name")"
    echo "bench: $name: $command"
    start=$SECONDS
    status=0
    # shellcheck disable=SC2086 # the command and its arguments
    $command >"$logs/$name.log" 2>&1 </dev/null || status=$?
    found="$(grep -c '^RESULT name=' "$logs/$name.log" || true)"
    grep '^RESULT name=' "$logs/$name.log" | sed "s/^RESULT /RESULT bench=$name /" >>"$results" || true
    figures="$found figure$([[ $found == 1 ]] || echo s), $((SECONDS - start)) s"
    if [[ $status == 0 && $found -gt 0 ]]; then
        outcome[$name]="ok, $figures"
    else
        failed=1
        if [[ $status != 0 ]]; then outcome[$name]="FAILED (exit $status)"; else outcome[$name]="FAILED (no RESULT line)"; fi
        outcome[$name]+=", $figures"
        tail -n 15 "$logs/$name.log" | sed 's/^/    /'
    fi
    echo "bench: $name: ${outcome[$name]}"
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

{
    echo "# Benchmarks, $(date '+%Y-%m-%d %H:%M') at $commit"
    echo
    if [[ $quick == 1 ]]; then
        echo 'Quick runs (`--quick`): one short round each, so the figures are rough.'
    else
        echo 'Full runs: each script with its default rounds and durations.'
    fi
    echo "Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), load average $load_before before and $load_after after."
    echo "Each ratio is ours ÷ peer, measured back to back in the same run; \"better\" says which way favours ours."
    echo "Logs: \`$logs/\`."
    echo
    echo "| Benchmark | Measure | Unit | Ours | Peer | Peer's figure | Ours ÷ peer | Better |"
    echo "| --- | --- | --- | ---: | --- | ---: | ---: | --- |"
    # Rates such as 16542.60 read better rounded; small figures (latencies, CPU time) keep theirs.
    awk 'function figure(v) { return (v ~ /^[0-9.]+$/ && v + 0 >= 100) ? sprintf("%.0f", v) : v }
    {
        split("", f)
        for (i = 2; i <= NF; i++) { eq = index($i, "="); f[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", f["bench"], f["name"], f["unit"], figure(f["ours"]),
            f["peer_name"], figure(f["peer"]), f["ratio"], f["better"]
    }' "$results"
    echo
    for name in "${selected[@]}"; do echo "- \`$(command_of "$name")\`: ${outcome[$name]}"; done
} >"$report"

echo
cat "$report"
echo
echo "bench: written to $report"
exit "$failed"
