# One line per step on stderr, what and how long, for the set-up scripts (bash; sourced):
#
#   step_begin "starting redis on 127.0.0.1:6379"   prints "PREFIX: starting redis on ... ... "
#   step_end [NOTE]                                  ends that line: "1.2 s" (and "(NOTE)")
#   step_fail [NOTE]                                 ends it with FAILED
#   step_say TEXT                                    a line of its own (ending an open one first)
#
# STEP_PREFIX names the script ("servers", "run", "test").

STEP_PREFIX="${STEP_PREFIX:-${0##*/}}"
STEP_OPEN=""
STEP_STARTED=0

# Milliseconds since the epoch.
step_now() { date +%s%3N; }

# step_duration MILLISECONDS: "0.4 s" below 10 s, "42 s" below 2 minutes, "3 min 5 s" beyond.
step_duration() {
    local ms=$1
    if ((ms < 10000)); then
        printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
    elif ((ms < 120000)); then
        printf '%d s' $((ms / 1000))
    else
        printf '%d min %d s' $((ms / 60000)) $((ms % 60000 / 1000))
    fi
}

step_begin() {
    step_close
    printf '%s: %s ... ' "$STEP_PREFIX" "$*" >&2
    STEP_OPEN=1
    STEP_STARTED=$(step_now)
}

step_end() {
    [[ -n "$STEP_OPEN" ]] || return 0
    printf '%s%s\n' "$(step_duration $(($(step_now) - STEP_STARTED)))" "${1:+ ($1)}" >&2
    STEP_OPEN=""
}

step_fail() {
    [[ -n "$STEP_OPEN" ]] || return 0
    printf 'FAILED after %s%s\n' "$(step_duration $(($(step_now) - STEP_STARTED)))" "${1:+ ($1)}" >&2
    STEP_OPEN=""
}

# Ends an open line, so that other output starts on a line of its own.
step_close() {
    [[ -z "$STEP_OPEN" ]] || { printf '\n' >&2; STEP_OPEN=""; }
}

step_say() {
    step_close
    printf '%s: %s\n' "$STEP_PREFIX" "$*" >&2
}
