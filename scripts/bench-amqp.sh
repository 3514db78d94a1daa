#!/usr/bin/env bash
# AMQP client throughput against the broker at AMQP_URL: amqp-bench (this project) and the peer
# amqpbench (amqp091-go, /work/shared/peers/go/amqpbench or ../shared/peers) run back to back in
# each round on the same durable queue, which is purged between runs. Scenarios: publish without
# confirms, publish with confirms (window 256), consume with manual acks (qos 200). Prints each
# run, the median per side, and the ratio ours/peer.
#
# Environment: AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/), ROUNDS (default 3),
# MESSAGES (default 50000), SIZE (body bytes, default 200), PEERS (peer sources folder).
set -euo pipefail
cd "$(dirname "$0")/.."

AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}
ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-50000}
SIZE=${SIZE:-200}
PEERS=${PEERS:-../shared/peers}
QUEUE=amqp091.bench

if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/github.com/rabbitmq/amqp091-go ]; then
    apt-get update -qq && apt-get install -y -qq golang-go golang-github-rabbitmq-amqp091-go-dev >/dev/null
fi

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
(cd "$PEERS" && GOPATH=/usr/share/gocode GO111MODULE=off go build -o "$workdir/amqpbench" ./go/amqpbench)
swift build -c release --product amqp-bench
ours="$(swift build -c release --show-bin-path)/amqp-bench"
peer="$workdir/amqpbench"

# rate BINARY ARGS... -> the msgs/s figure of one run
rate() { "$@" -url "$AMQP_URL" -queue "$QUEUE" | sed -n 's/^msgs\/s=//p'; }
purge() { "$peer" purge -url "$AMQP_URL" -queue "$QUEUE" >/dev/null; }
fill() { "$peer" publish -url "$AMQP_URL" -queue "$QUEUE" -n "$MESSAGES" -size "$SIZE" >/dev/null; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

purge
for scenario in publish publish-confirm consume; do
    : >"$workdir/ours" && : >"$workdir/peer"
    for round in $(seq 1 "$ROUNDS"); do
        for side in peer ours; do
            binary=$peer && [ "$side" = ours ] && binary=$ours
            case $scenario in
                publish) figure=$(rate "$binary" publish -n "$MESSAGES" -size "$SIZE") ;;
                publish-confirm) figure=$(rate "$binary" publish -confirm -window 256 -n "$MESSAGES" -size "$SIZE") ;;
                consume) fill && figure=$(rate "$binary" consume -qos 200 -n "$MESSAGES") ;;
            esac
            purge
            echo "$scenario round $round $side: $figure msgs/s"
            echo "$figure" >>"$workdir/$side"
        done
    done
    ours_median=$(median <"$workdir/ours")
    peer_median=$(median <"$workdir/peer")
    echo "$scenario median: ours $ours_median msgs/s, amqp091-go $peer_median msgs/s, ratio ours/peer $(awk "BEGIN { printf \"%.2f\", $ours_median / $peer_median }")"
done
