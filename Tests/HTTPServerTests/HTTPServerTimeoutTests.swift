import Bytes
import HTTPServer
import Testing
import TestSupport

/// The server's timeouts against slow clients, over real loopback sockets. Bounds on elapsed
/// time are generous: each only tells a deadline from its absence.
@Suite struct HTTPServerTimeoutTests {
    /// Sends `opening`, then `trickled` a byte every 100 ms: no single read ever waits long, so
    /// only a deadline for the whole head or body can end it, with 408 and a closed connection.
    func expectDeadline(_ configure: (inout HTTPServer.Configuration) -> Void, opening: String, trickled: String) async throws {
        let server = try await TestServer(configure)
        let client = try await HTTPTestClient(port: server.port)
        try await client.send(opening)
        let start = ContinuousClock.now
        let trickle = Task { try await client.trickle(trickled, every: .milliseconds(100)) }
        defer { trickle.cancel() }
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        #expect(response.status == 408)
        #expect(response.header("Connection") == "close")
        #expect(ContinuousClock.now - start < .seconds(5))
        trickle.cancel()
        client.close()
        await server.stop()
    }

    @Test func trickledHeadersTimeOutAtTheHeaderDeadline() async throws {
        try await expectDeadline({ $0.headerTimeout = .milliseconds(500) }, opening: "GET /hello/a HTTP/1.1\r\n",
                                 trickled: "X-Slow: " + String(repeating: "z", count: 193))
    }

    @Test func trickledBodyTimesOutAtTheBodyDeadline() async throws {
        try await expectDeadline({ $0.bodyTimeout = .milliseconds(500) }, opening: "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 200\r\n\r\n",
                                 trickled: String(repeating: "b", count: 200))
    }

    @Test func stalledBodyTimesOut() async throws {
        let server = try await TestServer { $0.bodyTimeout = .milliseconds(300) }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        #expect(response.status == 408)
        #expect(try await client.response(&pending) == nil)
        await server.stop()
    }

    /// A bodiless request whose head took two reads, arriving with the start of the next one,
    /// and a handler slower than the header timeout: the next head gets a deadline of its own.
    @Test func pipelinedHeadAfterASlowHandlerGetsAFreshDeadline() async throws {
        let server = try await TestServer { $0.headerTimeout = .seconds(2) }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /wait/2500 HTTP/1.1\r\n")
        try await letTimePass(.milliseconds(100), because: .slowPeer)
        try await client.send("Host: t\r\n\r\nGET /hello/b HTTP/1.1\r\n")
        var pending: [UInt8] = []
        #expect(try await client.response(&pending)?.body == "waited")
        try await client.send("Host: t\r\n\r\n")
        let second = try #require(try await client.response(&pending))
        #expect(second.status == 200)
        #expect(second.body == "hello b")
        client.close()
        await server.stop()
    }

    @Test func idleConnectionIsClosed() async throws {
        let server = try await TestServer { $0.idleTimeout = .milliseconds(200) }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /hello/a HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await client.response(&pending)?.status == 200)
        #expect(try await client.isClosedByServer())
        await server.stop()
    }

    @Test func clientThatNeverReadsIsDroppedAfterTheWriteTimeout() async throws {
        let server = try await TestServer { $0.writeTimeout = .milliseconds(300) }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        // Served first (the count starts at 0 until the connection is accepted), then dropped.
        try await eventually("the connection to be served") { server.server.connectionCount == 1 }
        try await eventually("the connection to be dropped") { server.server.connectionCount == 0 }
        // What the socket buffers held arrives; the rest of the body never does.
        let received = try await client.bytesUntilClosed()
        #expect(received > 0)
        #expect(received < TestServer.bigBody.readableBytes)
        await server.stop()
    }
}
