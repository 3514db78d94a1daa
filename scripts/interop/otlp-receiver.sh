#!/usr/bin/env bash
# Starts, stops and reports the OTLP test receiver (scripts/interop/otlp-receiver.py): an OTLP/HTTP JSON
# endpoint on loopback that validates each export with protobuf's strict JSON parser against the
# opentelemetry-proto schema from PyPI and records what it got, for the tracing tests.
#
#   scripts/interop/otlp-receiver.sh start|stop|status
#
# start installs what is missing (opentelemetry-proto with pip into .local/otlp-receiver/venv,
# scripts/lib/install.sh), starts the receiver unless one
# already answers on the port, and prints `export OTLP_RECEIVER_URL=...` on stdout (progress goes
# to stderr), so a caller can `eval "$(scripts/interop/otlp-receiver.sh start)"`; OTLP_RECEIVER_STARTED=1
# tells the caller this call started it. stop stops only a receiver this script started.
#
# Environment: OTLP_RECEIVER_PORT [4318], OTLP_PROTO_VERSION [1.45.2] (the opentelemetry-proto
# release whose schema the exports are checked against).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/.local/otlp-receiver"
VENV="$DIR/venv"
PORT="${OTLP_RECEIVER_PORT:-4318}"
PROTO_VERSION="${OTLP_PROTO_VERSION:-1.45.2}"
PIDFILE="$DIR/receiver-$PORT.pid"
LOG="$DIR/receiver-$PORT.log"

say() { echo "otlp-receiver: $*" >&2; }
die() { echo "otlp-receiver: error: $*" >&2; exit 1; }

answers() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3; head -c 12 <&3" 2>/dev/null | grep -q '^HTTP/1.[01] 200'
}

ensure_venv() {
    INSTALL_LOG="$ROOT/.local/logs/install.log"
    . "$ROOT/scripts/lib/install.sh"
    install_venv "$VENV" "opentelemetry-proto==$PROTO_VERSION" || die "pip install opentelemetry-proto==$PROTO_VERSION failed"
}

start() {
    if answers; then
        say "a receiver already answers on 127.0.0.1:$PORT; reusing it"
    else
        ensure_venv
        mkdir -p "$DIR"
        say "starting the receiver on 127.0.0.1:$PORT (log: $LOG)"
        nohup "$VENV/bin/python" "$ROOT/scripts/interop/otlp-receiver.py" "$PORT" >"$LOG" 2>&1 </dev/null &
        echo $! >"$PIDFILE"
        for _ in $(seq 1 100); do
            answers && break
            kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -n 20 "$LOG" >&2; die "the receiver exited"; }
            sleep 0.1
        done
        answers || { tail -n 20 "$LOG" >&2; die "the receiver does not answer on port $PORT"; }
        echo "export OTLP_RECEIVER_STARTED=1"
    fi
    echo "export OTLP_RECEIVER_URL=http://127.0.0.1:$PORT"
}

stop() {
    [[ -s "$PIDFILE" ]] || { say "no receiver started by this script on port $PORT"; return 0; }
    local pid
    pid="$(cat "$PIDFILE")"
    if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q otlp-receiver.py; then
        kill -TERM "$pid" 2>/dev/null || true
        say "stopped the receiver (pid $pid)"
    fi
    rm -f "$PIDFILE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if answers; then say "answering on 127.0.0.1:$PORT"; else say "not answering on 127.0.0.1:$PORT"; exit 1; fi ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
