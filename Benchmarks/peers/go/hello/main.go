// Command hello is Go's standard net/http server answering POST /orders with 202 and doing
// nothing else: the ceiling of a plain Go HTTP service, against which scripts/bench/http-server.sh
// measures request throughput and scripts/bench/http-idle.sh memory per idle keep-alive
// connection. Go's defaults are kept on purpose (no timeouts, no connection limit), as a Go user
// would start it.
//
// Built by those scripts (scripts/lib/bench.sh) in GOPATH mode, with Debian's golang-go:
//
//	GO111MODULE=off go build -o .build-bench/peers/hello ./Benchmarks/peers/go/hello
//
// Usage: hello [-listen 127.0.0.1:18081]
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

// reply is the body every accepted order gets, the same bytes the other servers send.
var reply = []byte("Order received: x")

func acceptOrder(w http.ResponseWriter, r *http.Request) {
	// Read the body as a real handler would, so the connection can be reused.
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		return
	}
	w.WriteHeader(http.StatusAccepted)
	w.Write(reply)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:18081", "address to serve on")
	flag.Parse()

	routes := http.NewServeMux()
	routes.HandleFunc("/orders", acceptOrder)
	server := &http.Server{Addr: *listen, Handler: routes}
	log.Fatal(server.ListenAndServe())
}
