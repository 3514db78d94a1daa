#!/usr/bin/env bash
# Runs every conformance vector set through the shipped `conformance` runner, fed whole and byte by
# byte, and compares with the expected results: scripts/conformance-{resp,amqp,http,ws}.sh.
#   scripts/conformance/all.sh [resp|amqp|http|ws]...   (default: all four)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
areas=("$@")
[[ ${#areas[@]} -gt 0 ]] || areas=(resp amqp http ws)
status=0
for area in "${areas[@]}"; do
    echo "-- conformance: $area"
    bash "scripts/conformance/$area.sh" || status=1
done
exit $status
