import Bytes
import HTTPServer
import Testing
import TestSupport

/// Handlers stopped because their client went away or their deadline passed, over real loopback
/// sockets. Events are ordered by the handlers' own records, never by sleeping.
@Suite struct HTTPHandlerStopTests {
    @Test func aClientThatGoesAwayCancelsItsHandler() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n")
        try await server.sleeps.started.reached(1)
        client.close()
        try await server.sleeps.cancelled.reached(1)
        // The server closed its end at once, before the handler even saw the cancellation.
        #expect(try serverSideSockets(port: server.port) == 0)
        await server.stop()
    }

    @Test func aPipelinedRequestAfterTheClientWentIsNotHandled() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\nGET /sleep HTTP/1.1\r\nHost: t\r\n\r\n")
        try await server.sleeps.started.reached(1)
        client.close()
        try await server.sleeps.cancelled.reached(1)
        await server.stop()
        #expect(server.sleeps.started.value == 1)
    }

    @Test func theRequestDeadlineCancelsTheHandlerAndAnswers503() async throws {
        let server = try await TestServer { $0.requestTimeout = .milliseconds(300) }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "1")
        #expect(response.header("Connection") == "close")
        try await server.sleeps.cancelled.reached(1)
        #expect(try await client.isClosedByServer())
        await server.stop()
    }

    /// A handler stuck in a wait that ignores cancellation: the client is answered at the
    /// deadline all the same, and its connection closed.
    @Test func theDeadlineAnswersWhileAHandlerIgnoresCancellation() async throws {
        let server = try await TestServer { $0.requestTimeout = .milliseconds(300) }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /stuck HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        #expect(response.status == 503)
        #expect(try await client.isClosedByServer())
        #expect(server.stuck.arrived == 1)
        server.stuck.open()
        await server.stop()
    }

    @Test func handlersWithinTheDeadlineAnswerAndKeepTheConnection() async throws {
        let server = try await TestServer { $0.requestTimeout = .seconds(30) }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /deadline HTTP/1.1\r\nHost: t\r\n\r\nGET /hello/b HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await client.response(&pending)?.body == "true", "the handler sees a deadline ahead")
        #expect(try await client.response(&pending)?.body == "hello b")
        client.close()
        await server.stop()

        let plain = try await TestServer()
        let other = try await HTTPTestClient(port: plain.port)
        try await other.send("GET /deadline HTTP/1.1\r\nHost: t\r\n\r\n")
        var rest: [UInt8] = []
        #expect(try await other.response(&rest)?.body == "none")
        other.close()
        await plain.stop()
    }
}
