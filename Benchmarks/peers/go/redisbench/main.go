// Command redisbench measures SET and GET through redigo, a widely used Go Redis client, shaped
// like this project's `resp-bench client URL N connections C DEPTH`: C connections, each driven
// by one goroutine that sends batches of DEPTH commands and waits for their replies, on the same
// key ("key:bench") and 3-byte value. scripts/bench/resp-client.sh runs both against one server.
//
// For each command it prints one line, the format resp-bench prints:
//
//	SET rps=<commands per second> p50_ms=<batch round trip> p99_ms=<batch round trip>
//
// Built by scripts/bench/resp-client.sh (scripts/lib/bench.sh) in GOPATH mode against Debian's
// golang-go and golang-github-gomodule-redigo-dev:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o .build-bench/peers/redisbench ./Benchmarks/peers/go/redisbench
//
// Usage: redisbench [-addr 127.0.0.1:6379] [-c 50] [-n 200000] [-P 1] [-t set,get]
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gomodule/redigo/redis"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "redisbench: "+format+"\n", args...)
	os.Exit(1)
}

// arguments of each command, as resp-bench sends them.
var commands = map[string][]interface{}{
	"SET": {"key:bench", "xxx"},
	"GET": {"key:bench"},
}

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "Redis host:port")
	connections := flag.Int("c", 50, "connections, one goroutine each")
	total := flag.Int("n", 200000, "commands per test")
	depth := flag.Int("P", 1, "commands per round trip (pipeline depth)")
	tests := flag.String("t", "set,get", "commands to run, comma-separated: set, get")
	timeout := flag.Duration("timeout", 5*time.Second, "connect, read and write timeout")
	flag.Parse()
	if *connections < 1 || *depth < 1 || *total < *connections**depth {
		die("need -c >= 1, -P >= 1 and -n >= c * P")
	}

	pool := make([]redis.Conn, *connections)
	for i := range pool {
		conn, err := redis.Dial("tcp", *addr, redis.DialConnectTimeout(*timeout),
			redis.DialReadTimeout(*timeout), redis.DialWriteTimeout(*timeout))
		if err != nil {
			die("connecting to %s: %v", *addr, err)
		}
		defer conn.Close()
		pool[i] = conn
	}
	for _, name := range strings.Split(*tests, ",") {
		name = strings.ToUpper(strings.TrimSpace(name))
		arguments, known := commands[name]
		if !known {
			die("unknown test %q: set or get", name)
		}
		run(pool, name, arguments, *total, *depth)
	}
}

// run sends total commands spread over the connections and prints their rate and the round-trip
// percentiles of the batches.
func run(pool []redis.Conn, name string, arguments []interface{}, total, depth int) {
	// Every connection sends whole batches; like resp-bench, the rate is scaled to the
	// commands actually sent.
	batches := total / depth / len(pool)
	roundTrips := make([][]time.Duration, len(pool))
	var workers sync.WaitGroup
	start := time.Now()
	for i, conn := range pool {
		workers.Add(1)
		go func(i int, conn redis.Conn) {
			defer workers.Done()
			times := make([]time.Duration, 0, batches)
			for b := 0; b < batches; b++ {
				sent := time.Now()
				for k := 0; k < depth; k++ {
					if err := conn.Send(name, arguments...); err != nil {
						die("%s: %v", name, err)
					}
				}
				if err := conn.Flush(); err != nil {
					die("%s: %v", name, err)
				}
				for k := 0; k < depth; k++ {
					if _, err := conn.Receive(); err != nil {
						die("%s reply: %v", name, err)
					}
				}
				times = append(times, time.Since(sent))
			}
			roundTrips[i] = times
		}(i, conn)
	}
	workers.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	for _, times := range roundTrips {
		all = append(all, times...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	milliseconds := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	fmt.Printf("%s rps=%.0f p50_ms=%.3f p99_ms=%.3f\n", name, float64(len(all)*depth)/elapsed.Seconds(),
		milliseconds(all[len(all)/2]), milliseconds(all[len(all)*99/100]))
}
