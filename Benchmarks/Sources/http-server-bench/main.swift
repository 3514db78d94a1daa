import Bytes
import CommandLineOptions
import Dispatch
import Foundation
import HTTPServer

/// The HTTP server alone, answering POST /orders with 202 and no backend: the ceiling the
/// gateway can reach, measured with wrk next to nginx and Go's net/http.
///
/// usage: http-server-bench [--port 18082]   stops gracefully on SIGTERM or SIGINT.

let syntax = CommandSyntax(
    "http-server-bench", summary: "the HTTP server alone, answering POST /orders 202 with no backend, until SIGTERM or SIGINT",
    options: [.value("port", "PORT", default: "18082", "the port to listen on, on 127.0.0.1 (0 picks a free one)")])
let port: Int
do { port = try syntax.parseOrExit().int("port", in: 0...65535) } catch { syntax.fail(error) }

var router = HTTPRouter()
router.post("/orders") { _ in
    HTTPResponse(status: 202, headers: [("Content-Type", "text/plain")], body: .bytes(ByteBuffer(string: "Order received: x")))
}
let server = try await HTTPServer.bind(configuration: .init(host: "127.0.0.1", port: port), router: router)

/// The grace period the signal handler gives requests in flight.
let gracePeriod = Duration.seconds(2)

/// Shuts `server` down on SIGTERM or SIGINT. Signals arrive on a dispatch queue, off the main
/// actor, so the handler is explicitly `@Sendable` and only starts a task.
func shutDownOnSignals(_ server: HTTPServer) -> [DispatchSourceSignal] {
    [SIGTERM, SIGINT].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler { @Sendable in Task { await server.shutdown(gracePeriod: gracePeriod) } }
        source.resume()
        return source
    }
}

let signalSources = shutDownOnSignals(server)
print("listening on 127.0.0.1:\(server.port)")
await server.run()
// run() returns once shutdown stops accepting; give requests in flight their grace period, and
// shutdown its second for handlers it cancels, but no more: the process exits regardless.
let exitDeadline = ContinuousClock.now + gracePeriod + .seconds(2)
while server.connectionCount > 0 && ContinuousClock.now < exitDeadline {
    try await Task.sleep(for: .milliseconds(10))
}
