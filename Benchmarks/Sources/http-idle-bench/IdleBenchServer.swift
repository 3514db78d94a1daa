import Bytes
import HTTPServer
import Synchronization

/// The server side: POST /orders answered 202 with no backend (as in http-server-bench), and
/// GET /connections answering the number of connections the server holds, so the client can
/// confirm that none of its idle connections was dropped.
enum IdleBenchServer {
    /// Lets the /connections handler reach the server, which exists only after binding.
    private final class ServerSlot: Sendable {
        let server = Mutex<HTTPServer?>(nil)
    }

    static func run(port: Int, idleTimeout: Duration, maxConnections: Int, fileLimit: Int) async throws {
        let slot = ServerSlot()
        var router = HTTPRouter()
        router.post("/orders") { _ in
            HTTPResponse(status: 202, headers: [("Content-Type", "text/plain")], body: .bytes(ByteBuffer(string: "Order received: x")))
        }
        router.get("/connections") { _ in
            let count = slot.server.withLock { $0?.connectionCount } ?? 0
            return .text("\(count)\n")
        }
        // The limit must leave room for the idle connections plus the load connections.
        let configuration = HTTPServer.Configuration(host: "127.0.0.1", port: port, idleTimeout: idleTimeout,
                                                     maxConnections: maxConnections)
        let server = try await HTTPServer.bind(configuration: configuration, router: router)
        slot.server.withLock { $0 = server }
        print("listening on 127.0.0.1:\(server.port), open-file limit \(fileLimit), idle timeout \(idleTimeout)")
        await server.run()
    }
}
