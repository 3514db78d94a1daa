#!/usr/bin/env bash
# Checks the command lines of the project's tools (the root package's and the Benchmarks
# package's, subcommands included, and scripts/run.sh): `--help` exits 0 and prints the tool's summary and usage on
# stdout, and an unknown option exits 2 and names it on stderr, before the tool does anything
# else. Builds what it checks (debug). Exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
swift build --product amqp-codegen >/dev/null
swift build --product conformance >/dev/null
swift build --package-path Benchmarks >/dev/null
root_bin="$(swift build --show-bin-path)"
bench_bin="$(swift build --package-path Benchmarks --show-bin-path)"

commands=(
    "$root_bin/amqp-codegen" "$root_bin/conformance"
    "$bench_bin/fuzz" "$bench_bin/amqp-bench" "$bench_bin/http-bench" "$bench_bin/http-server-bench"
    "$bench_bin/tracing-bench" "$bench_bin/transport-bench" "$bench_bin/ws-bench"
    "$bench_bin/http-idle-bench" "$bench_bin/http-idle-bench server" "$bench_bin/http-idle-bench client"
    "$bench_bin/resp-bench" "$bench_bin/resp-bench decode" "$bench_bin/resp-bench client"
    "$bench_bin/chaos" "$bench_bin/chaos load" "$bench_bin/chaos probe" "$bench_bin/chaos reconcile"
    "$bench_bin/chaos purge" "$bench_bin/chaos proxy" "$bench_bin/chaos abuse"
)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
    echo "help: FAIL: $*" >&2
    failed=1
}

for command in "${commands[@]}"; do
    read -r -a words <<<"$command"
    name="${words[0]##*/}${words[1]:+ ${words[1]}}"
    status=0
    "${words[@]}" --help >"$work/out" 2>"$work/err" || status=$?
    [[ $status == 0 ]] || fail "'$name --help' exited $status: $(head -c 300 "$work/err")"
    [[ "$(head -n 1 "$work/out")" == "$name: "* ]] || fail "'$name --help' does not start with '$name: '"
    grep -q "^usage: $name" "$work/out" || fail "'$name --help' prints no 'usage: $name' line"
    status=0
    timeout 10 "${words[@]}" --no-such-option >"$work/out" 2>"$work/err" || status=$?
    [[ $status == 2 ]] || fail "'$name --no-such-option' exited $status, not 2"
    grep -q "unknown option '--no-such-option'" "$work/err" || fail "'$name --no-such-option' does not name the option: $(head -c 300 "$work/err")"
done
# scripts/run.sh too, which must not start anything when asked for its help or given a typo.
status=0
scripts/run.sh --help >"$work/out" 2>"$work/err" || status=$?
[[ $status == 0 ]] || fail "'scripts/run.sh --help' exited $status"
grep -q "^usage: scripts/run.sh" "$work/out" || fail "'scripts/run.sh --help' prints no 'usage: scripts/run.sh' line"
status=0
timeout 10 scripts/run.sh --no-such-option >"$work/out" 2>"$work/err" || status=$?
[[ $status == 2 ]] || fail "'scripts/run.sh --no-such-option' exited $status, not 2"
grep -q "unknown argument '--no-such-option'" "$work/err" || fail "'scripts/run.sh --no-such-option' does not name the argument"
[[ $failed == 0 ]] || exit 1
echo "help: $((${#commands[@]} + 1)) command lines checked: --help prints the usage, an unknown option exits 2"
