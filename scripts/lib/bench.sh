# Sourced by the scripts/bench-*.sh scripts (POSIX sh, so both the sh and the bash ones can use
# it), from the repository's root folder. It installs what a benchmark needs, builds the peers of
# Benchmarks/peers and writes the corpora of Benchmarks/corpus into .build-bench/ (git-ignored),
# and prints the summary lines scripts/bench.sh collects.

BENCH_OUT="$(pwd)/.build-bench"
. scripts/lib/install.sh

# bench_need PACKAGE[:PROBE]...: installs each Debian package that is missing, with
# scripts/lib/install.sh (PROBE as it says); exits when that cannot be done.
bench_need() {
    install_packages "$@" || exit 1
}

# bench_go_peer NAME [amqp091] [redigo]: builds Benchmarks/peers/go/NAME with Debian's Go and the
# Debian packages of the libraries named (GOPATH mode: nothing is downloaded), and prints the path
# of the binary.
bench_go_peer() {
    bench_go_name=$1
    shift
    bench_go_packages="golang-go:go"
    for bench_go_library in "$@"; do
        case $bench_go_library in
            amqp091) bench_go_packages="$bench_go_packages golang-github-rabbitmq-amqp091-go-dev:/usr/share/gocode/src/github.com/rabbitmq/amqp091-go" ;;
            redigo) bench_go_packages="$bench_go_packages golang-github-gomodule-redigo-dev:/usr/share/gocode/src/github.com/gomodule/redigo" ;;
            *) echo "bench: unknown Go library $bench_go_library" >&2; exit 1 ;;
        esac
    done
    # shellcheck disable=SC2086 # a list of packages
    bench_need $bench_go_packages
    mkdir -p "$BENCH_OUT/peers"
    GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS="" GOCACHE="$BENCH_OUT/go-cache" \
        go build -o "$BENCH_OUT/peers/$bench_go_name" "./Benchmarks/peers/go/$bench_go_name" >&2 || exit 1
    echo "$BENCH_OUT/peers/$bench_go_name"
}

# bench_c_peer NAME LIBRARY PACKAGE[:PROBE]: builds Benchmarks/peers/c/NAME.c linked with
# -lLIBRARY from the Debian package PACKAGE, and prints the path of the binary.
bench_c_peer() {
    bench_need gcc:gcc libc6-dev "$3"
    mkdir -p "$BENCH_OUT/peers"
    gcc -O2 -Wall -o "$BENCH_OUT/peers/$1" "Benchmarks/peers/c/$1.c" "-l$2" >&2 || exit 1
    echo "$BENCH_OUT/peers/$1"
}

# bench_corpus NAME COUNT: writes the corpus of Benchmarks/corpus/NAME.py with COUNT entries,
# unless the same generators already wrote it, and prints its path.
bench_corpus() {
    bench_need python3:python3
    bench_file="$BENCH_OUT/corpus/$1-$2-$(cat Benchmarks/corpus/*.py | cksum | cut -d' ' -f1).bin"
    if [ ! -s "$bench_file" ]; then
        mkdir -p "$BENCH_OUT/corpus"
        rm -f "$BENCH_OUT/corpus/$1-"*
        # -B: no __pycache__ in the source folder.
        python3 -B "Benchmarks/corpus/$1.py" "$bench_file.partial" "$2" >&2 && mv "$bench_file.partial" "$bench_file" || exit 1
    fi
    echo "$bench_file"
}

# bench_result NAME OURS PEER_NAME PEER UNIT BETTER: prints the summary line of one comparison,
#   RESULT name=NAME ours=OURS peer=PEER unit=UNIT ratio=OURS/PEER peer_name=PEER_NAME better=BETTER
# which scripts/bench.sh collects. NAME, PEER_NAME and UNIT have no spaces; BETTER is higher or
# lower (which way of the ratio is better for ours).
bench_result() {
    awk -v name="$1" -v ours="$2" -v peer_name="$3" -v peer="$4" -v unit="$5" -v better="$6" 'BEGIN {
        ratio = (peer + 0 > 0 && ours != "") ? sprintf("%.2f", ours / peer) : "-"
        printf "RESULT name=%s ours=%s peer=%s unit=%s ratio=%s peer_name=%s better=%s\n",
            name, (ours == "" ? "-" : ours), (peer == "" ? "-" : peer), unit, ratio, peer_name, better
    }'
}

# wrk_field OUT NAME: from wrk's --latency report in OUT, requests | non2xx | seconds | p50 |
# p99 (latencies in ms).
wrk_field() {
    awk -v want="$2" '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        / requests in / { requests = $1; seconds = $4; sub(/s,?$/, "", seconds) }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
        END {
            if (want == "requests") print requests + 0; else if (want == "non2xx") print non2xx + 0
            else if (want == "seconds") print seconds + 0; else if (want == "p50") print p50; else print p99
        }' "$1"
}
