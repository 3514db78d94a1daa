import Bytes
import HTTPServer
import Testing

/// The connection limit and graceful shutdown, over real loopback sockets.
@Suite struct HTTPServerLifecycleTests {
    @Test func connectionsBeyondTheLimitGet503() async throws {
        let server = try await TestServer { $0.maxConnections = 1 }
        let first = try await TestClient(port: server.port)
        try await first.send("GET /hello/1 HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await first.response(&pending)?.status == 200)
        let second = try await TestClient(port: server.port)
        var other: [UInt8] = []
        let refused = try #require(try await second.response(&other))
        #expect(refused.status == 503)
        #expect(refused.header("Connection") == "close")
        first.close()
        await server.stop()
    }

    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        let server = try await TestServer()
        let idle = try await TestClient(port: server.port)
        try await idle.send("GET /hello/i HTTP/1.1\r\nHost: t\r\n\r\n")
        var idlePending: [UInt8] = []
        #expect(try await idle.response(&idlePending)?.status == 200)

        let busy = try await TestClient(port: server.port)
        try await busy.send("GET /gated HTTP/1.1\r\nHost: t\r\n\r\n")
        try await eventually("the request to reach the handler") { server.gate.arrived > 0 }
        let stopping = Task { await server.stop(gracePeriod: .seconds(30)) }
        // Shutdown has begun once the idle connection is closed; only then may the request finish.
        #expect(try await idle.isClosedByServer())
        server.gate.open()

        var busyPending: [UInt8] = []
        let finished = try #require(try await busy.response(&busyPending))
        #expect(finished.body == "gated done")
        #expect(finished.header("Connection") == "close")
        await stopping.value
        #expect(server.server.connectionCount == 0)
    }
}
