import Bytes
import HTTPServer
import Testing

@Suite struct HTTPRouterTests {
    static func request(_ text: String) throws -> HTTPRequest {
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(string: text))
        guard case .head(let head) = try parser.next() else { throw RouterTestFailure.noHead }
        return HTTPRequest(head: head, body: ByteBuffer())
    }

    enum RouterTestFailure: Error { case noHead }

    static let router: HTTPRouter = {
        var router = HTTPRouter()
        router.add("GET", "/orders/:id") { request in
            .text("order \(request.pathParameters["id"] ?? "?") sku=\(request.query("sku") ?? "-")")
        }
        router.add("POST", "/orders") { _ in HTTPResponse(status: 202) }
        return router
    }()

    static func body(_ response: HTTPResponse) -> String {
        guard case .bytes(let bytes) = response.body else { return "<stream>" }
        return bytes.description
    }

    @Test func parametersAndQuery() async throws {
        let response = try await Self.router.handle(try Self.request("GET /orders/a%20b?sku=x+y%21&z HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(response.status == 200)
        #expect(Self.body(response) == "order a b sku=x y!")
    }

    @Test func queryItems() throws {
        let request = try Self.request("GET /p?a=1&b=&c&a=2 HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(request.queryItems.map { "\($0.name)=\($0.value)" } == ["a=1", "b=", "c=", "a=2"])
        #expect(request.path == "/p")
        #expect(try Self.request("GET http://h:80/q/r?s HTTP/1.1\r\nHost: h\r\n\r\n").path == "/q/r")
        #expect(try Self.request("GET http://h:80 HTTP/1.1\r\nHost: h\r\n\r\n").path == "/")
        #expect(try Self.request("GET /caf%C3%A9/x#frag HTTP/1.1\r\nHost: h\r\n\r\n").path == "/caf%C3%A9/x")
        #expect(try Self.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n").path == "/")
    }

    @Test func notFoundAndMethodNotAllowed() async throws {
        #expect(try await Self.router.handle(try Self.request("GET /nope HTTP/1.1\r\nHost: h\r\n\r\n")).status == 404)
        let response = try await Self.router.handle(try Self.request("DELETE /orders HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(response.status == 405)
        #expect(response.headers.contains { $0.name == "Allow" && $0.value == "POST" })
        #expect(try await Self.router.handle(try Self.request("POST /orders HTTP/1.1\r\nHost: h\r\n\r\n")).status == 202)
    }

    @Test func headIsServedByTheGETRouteAndAllowedWhereGETIs() async throws {
        let head = try await Self.router.handle(try Self.request("HEAD /orders/a HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(head.status == 200 && Self.body(head) == "order a sku=-")
        let refused = try await Self.router.handle(try Self.request("PUT /orders/a HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(refused.headers.contains { $0.name == "Allow" && $0.value == "GET, HEAD" })
        #expect(try await Self.router.handle(try Self.request("HEAD /orders HTTP/1.1\r\nHost: h\r\n\r\n")).status == 405)
    }

    @Test func continuePolicy() throws {
        #expect(Self.router.continuePolicy(for: try Self.request("POST /orders HTTP/1.1\r\nHost: h\r\n\r\n").head) == nil)
        #expect(Self.router.continuePolicy(for: try Self.request("POST /other HTTP/1.1\r\nHost: h\r\n\r\n").head)?.status == 404)
    }
}
