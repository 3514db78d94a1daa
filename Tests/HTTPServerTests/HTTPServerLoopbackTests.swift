import Bytes
import Foundation
import HTTPServer
import Testing
import TestSupport

/// The server over real loopback sockets.
@Suite struct HTTPServerLoopbackTests {
    @Test func routeWithParameterAndDate() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /hello/w%C3%B6rld HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        #expect(response.status == 200)
        #expect(response.body == "hello wörld")
        #expect(response.header("Date")?.hasSuffix(" GMT") == true)
        #expect(response.header("Connection") == nil)
        client.close()
        await server.stop()
    }

    /// Regression: a request's fields and body are slices of the buffer it was read into, so a
    /// small POST kept the whole 16 KiB read space alive while its handler ran; a gateway
    /// holding thousands of requests through a hung dependency went from 25 to 71 MiB of RSS.
    @Test func aSmallRequestKeepsOnlyStorageOfItsSize() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        let body = String(repeating: "x", count: 300)
        try await client.send("POST /retained HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        let retained = try #require(Int(response.body))
        #expect(retained < 2048, "a 300-byte body keeps \(retained) bytes of storage")
        client.close()
        await server.stop()
    }

    @Test func pipelinedResponsesComeInOrder() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
            + "GET /hello/x HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        var bodies: [String] = []
        for _ in 0..<3 { bodies.append(try #require(try await client.response(&pending)).body) }
        #expect(bodies == ["slow done", "abcde", "hello x"])
        client.close()
        await server.stop()
    }

    @Test func connectionCloseIsHonoured() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /hello/a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /hello/b HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        #expect(response.body == "hello a")
        #expect(response.header("Connection") == "close")
        #expect(try await client.response(&pending) == nil)
        await server.stop()
    }

    @Test func http10KeepAliveAndStreamingByClose() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /hello/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /stream HTTP/1.0\r\n\r\n")
        var pending: [UInt8] = []
        let first = try #require(try await client.response(&pending))
        #expect(first.header("Connection") == "keep-alive")
        let streamed = try #require(try await client.response(&pending))
        #expect(streamed.body == "one two three")
        #expect(streamed.header("Transfer-Encoding") == nil)
        await server.stop()
    }

    @Test func chunkedResponse() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.body == "one two three")
        client.close()
        await server.stop()
    }

    @Test func expectContinue() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await client.response(&pending)?.status == 100)
        try await client.send("ping")
        #expect(try await client.response(&pending)?.body == "ping")

        try await client.send("POST /nowhere HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let refused = try #require(try await client.response(&pending))
        #expect(refused.status == 404)
        #expect(try await client.response(&pending) == nil)
        await server.stop()
    }

    @Test func malformedRequestGets400AndClose() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        #expect(response.status == 400)
        #expect(response.header("Connection") == "close")
        #expect(try await client.response(&pending) == nil)
        await server.stop()
    }

    @Test func handlerErrorGives500() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /fail HTTP/1.1\r\nHost: t\r\n\r\nGET /hello/after HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await client.response(&pending)?.status == 500)
        #expect(try await client.response(&pending)?.body == "hello after")
        client.close()
        await server.stop()
    }

    /// A field value with CRLF would let a handler's data pose as fields or a second response.
    @Test func aResponseFieldThatCannotBeSentGives500() async throws {
        let reports = ServerReports()
        let server = try await TestServer { $0.log = reports.log }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /split HTTP/1.1\r\nHost: t\r\n\r\nGET /hello/after HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        let refused = try #require(try await client.response(&pending))
        #expect(refused.status == 500)
        #expect(refused.header("X-Injected") == nil && refused.header("X-Value") == nil)
        #expect(try await client.response(&pending)?.body == "hello after")
        #expect(reports.named("response cannot be sent; answered 500").first?.fields["part"] == "field \"X-Value\"")
        client.close()
        await server.stop()
    }

    @Test func oversizedBodyGets413WhileTheClientKeepsSending() async throws {
        let server = try await TestServer { $0.limits.maxBodySize = 1024 }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n")
        try await client.send(String(repeating: "x", count: 100_000))
        var pending: [UInt8] = []
        let response = try #require(try await client.response(&pending))
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
        client.close()
        await server.stop()
    }

    @Test func headResponseHasFramingButNoBody() async throws {
        let server = try await TestServer()
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("HEAD /hello/abc HTTP/1.1\r\nHost: t\r\n\r\nGET /hello/next HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        let head = try #require(try await client.response(&pending, toHead: true))
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "9")
        // Had a body followed the head, the next response would not start right after it.
        let next = try #require(try await client.response(&pending))
        #expect(next.status == 200)
        #expect(next.body == "hello next")
        client.close()
        await server.stop()
    }

    @Test func errorResponsesUseTheRequestVersion() async throws {
        let server = try await TestServer()
        let http10 = try await HTTPTestClient(port: server.port)
        try await http10.send("GET /hello/a HTTP/1.0\r\nX : y\r\n\r\n")
        var pending: [UInt8] = []
        let rejected = try #require(try await http10.response(&pending))
        #expect(rejected.status == 400)
        #expect(rejected.version == "HTTP/1.0")

        // Before the version is read there is none to follow.
        let unknown = try await HTTPTestClient(port: server.port)
        try await unknown.send("GET /hello/a HTTP/3.0\r\n\r\n")
        var other: [UInt8] = []
        let unsupported = try #require(try await unknown.response(&other))
        #expect(unsupported.status == 505)
        #expect(unsupported.version == "HTTP/1.1")
        await server.stop()
    }

    @Test func oversizedHeadGets431() async throws {
        let server = try await TestServer { $0.limits.maxHeaderBytes = 256 }
        let client = try await HTTPTestClient(port: server.port)
        try await client.send("GET /hello/a HTTP/1.1\r\nHost: t\r\nX-Big: " + String(repeating: "y", count: 400) + "\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await client.response(&pending)?.status == 431)
        client.close()
        await server.stop()
    }
}
