import Bytes
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
@testable import HTTPServer
import Testing
import TestSupport

/// The connection limit and shutdown, over real loopback sockets.
@Suite struct HTTPServerLifecycleTests {
    @Test func bindingAPortInUseSaysWhereAndWhy() async throws {
        let server = try await TestServer()
        do {
            let second = try await HTTPServer.bind(configuration: .init(host: "127.0.0.1", port: server.port)) { _ in
                HTTPResponse(status: 200)
            }
            Issue.record("bound port \(second.port) twice")
        } catch {
            #expect(error.code == .bindFailed)
            #expect(error.errno == EADDRINUSE)
            #expect(error.address == "127.0.0.1:\(server.port)")
            #expect(error.description.contains("127.0.0.1:\(server.port)"))
        }
        await server.stop()
    }

    @Test func connectionsBeyondTheLimitGet503() async throws {
        let server = try await TestServer { $0.maxConnections = 1 }
        let first = try await HTTPTestClient(port: server.port)
        try await first.send("GET /hello/1 HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await first.response(&pending)?.status == 200)
        let second = try await HTTPTestClient(port: server.port)
        var other: [UInt8] = []
        let refused = try #require(try await second.response(&other))
        #expect(refused.status == 503)
        #expect(refused.header("Connection") == "close")
        first.close()
        await server.stop()
    }

    /// Refusing costs a descriptor for a while; a flood must not turn into as many descriptors.
    @Test func aFloodBeyondTheLimitHoldsBoundedDescriptors() async throws {
        let server = try await TestServer { $0.maxConnections = 1 }
        let holder = try await HTTPTestClient(port: server.port)
        try await holder.send("GET /hello/1 HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await holder.response(&pending)?.status == 200)

        var flood: [HTTPTestClient] = []
        for _ in 0..<100 { flood.append(try await HTTPTestClient(port: server.port)) }
        // Each is answered 503 or closed at once; either way the server has dealt with it. The
        // clients stay open and silent, which keeps an answered refusal waiting longest.
        var answered = 0
        for client in flood {
            var bytes: [UInt8] = []
            if let response = try await client.response(&bytes) {
                #expect(response.status == 503)
                answered += 1
            }
        }
        #expect(answered >= 1)
        let held = try serverSideSockets(port: server.port)
        // The served connection plus refusals in progress; without a cap it would be about 100.
        #expect(held <= 1 + HTTPServer.maxRefusalsInProgress)
        for client in flood { client.close() }
        holder.close()
        await server.stop()
    }

    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        let server = try await TestServer()
        let idle = try await HTTPTestClient(port: server.port)
        try await idle.send("GET /hello/i HTTP/1.1\r\nHost: t\r\n\r\n")
        var idlePending: [UInt8] = []
        #expect(try await idle.response(&idlePending)?.status == 200)

        let busy = try await HTTPTestClient(port: server.port)
        try await busy.send("GET /gated HTTP/1.1\r\nHost: t\r\n\r\n")
        try await server.gate.awaitArrivals(1)
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

    @Test func shutdownCancelsHandlersStillRunningAfterTheGracePeriod() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n")
        try await server.sleeps.started.reached(1)
        try await within(testPatience, "shutdown") {
            await server.server.shutdown(gracePeriod: .milliseconds(200))
        }
        #expect(server.server.connectionCount == 0)
        // Shutdown waits a bounded time for cancelled handlers; under load this one may record
        // its cancellation just after.
        try await server.sleeps.cancelled.reached(1)
        #expect(try await client.isClosedByServer())
        await server.stop()
    }

    @Test func shutdownEndsWhenAHandlerIgnoresCancellation() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /stuck HTTP/1.1\r\nHost: t\r\n\r\n")
        try await server.stuck.awaitArrivals(1)
        // The handler would hold on for a minute; shutdown must not wait for it.
        try await within(testPatience, "shutdown") {
            await server.server.shutdown(gracePeriod: .milliseconds(200))
        }
        #expect(server.server.connectionCount == 0)
        #expect(try await client.isClosedByServer())
        server.stuck.open()
        await server.stop()
    }
}
