#!/usr/bin/env bash
# AMQP interoperability against the broker at AMQP_URL: builds the amqp091-go echo peer
# (scripts/interop/amqp-peer) and runs InteropIntegrationTests, which send messages from this
# client through amqp091-go and back (properties, a header of every type amqp091-go handles,
# body byte for byte) and exchange messages with rabbitmq-c's amqp-publish / amqp-consume.
#
# Environment: AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/).
set -euo pipefail
cd "$(dirname "$0")/../.."

. scripts/lib/install.sh
install_packages amqp-tools:amqp-consume golang-go:go golang-github-rabbitmq-amqp091-go-dev:/usr/share/gocode/src/github.com/rabbitmq/amqp091-go

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
(cd scripts/interop && GOPATH=/usr/share/gocode GO111MODULE=off go build -o "$workdir/amqp-interop-peer" ./amqp-peer)
AMQP_INTEROP_PEER="$workdir/amqp-interop-peer" swift test --filter AMQP091Tests.InteropIntegrationTests
