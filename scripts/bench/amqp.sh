#!/usr/bin/env bash
# AMQP client throughput against the broker at AMQP_URL: amqp-bench (this project) and the peer
# amqpbench (amqp091-go, Benchmarks/peers/go/amqpbench) run back to back in each round on the
# same durable queue, which is purged between runs. Scenarios: publish without confirms, publish
# with confirms (window 256; ours through publishConfirmed), consume with qos 200 acking each
# delivery, and acking every 50th with multiple. Prints each run, the median per side, and the
# ratio ours/peer, with a RESULT line per scenario for scripts/bench.sh.
# Installs golang-go and Debian's amqp091-go when missing, and builds the peer into .build-bench/.
#
# Environment: AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/), ROUNDS (default 3),
# MESSAGES (default 50000), SIZE (body bytes, default 200).
set -euo pipefail
cd "$(dirname "$0")/../.."

AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}
ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-50000}
SIZE=${SIZE:-200}
QUEUE=amqp091.bench
. scripts/lib/bench.sh

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
peer=$(bench_go_peer amqpbench amqp091)
swift build --package-path Benchmarks -c release --product amqp-bench
ours="$(swift build --package-path Benchmarks -c release --show-bin-path)/amqp-bench"

# rate BINARY ARGS... -> the msgs/s figure of one run
rate() { "$@" -url "$AMQP_URL" -queue "$QUEUE" | sed -n 's/^msgs\/s=//p'; }
purge() { "$peer" purge -url "$AMQP_URL" -queue "$QUEUE" >/dev/null; }
fill() { "$peer" publish -url "$AMQP_URL" -queue "$QUEUE" -n "$MESSAGES" -size "$SIZE" >/dev/null; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

purge
for scenario in publish publish-confirm consume consume-multiple; do
    : >"$workdir/ours" && : >"$workdir/peer"
    for round in $(seq 1 "$ROUNDS"); do
        for side in peer ours; do
            binary=$peer && [ "$side" = ours ] && binary=$ours
            case $scenario in
                publish) figure=$(rate "$binary" publish -n "$MESSAGES" -size "$SIZE") ;;
                publish-confirm) figure=$(rate "$binary" publish -confirm -window 256 -n "$MESSAGES" -size "$SIZE") ;;
                consume) fill && figure=$(rate "$binary" consume -qos 200 -n "$MESSAGES") ;;
                consume-multiple) fill && figure=$(rate "$binary" consume -qos 200 -multiple 50 -n "$MESSAGES") ;;
            esac
            purge
            echo "$scenario round $round $side: $figure msgs/s"
            echo "$figure" >>"$workdir/$side"
        done
    done
    ours_median=$(median <"$workdir/ours")
    peer_median=$(median <"$workdir/peer")
    echo "$scenario median: ours $ours_median msgs/s, amqp091-go $peer_median msgs/s, ratio ours/peer $(awk "BEGIN { printf \"%.2f\", $ours_median / $peer_median }")"
    bench_result "$scenario" "$ours_median" amqp091-go "$peer_median" msgs/s higher
done
