import Bytes
import HTTPServer
import Testing

@Suite struct HTTPRouterTests {
    static func get(_ target: String, method: String = "GET") throws -> HTTPRequest {
        HTTPRequest(head: try parsedHead("\(method) \(target) HTTP/1.1\r\nHost: h\r\n\r\n"), body: ByteBuffer())
    }

    static let router: HTTPRouter = {
        var router = HTTPRouter()
        router.get("/orders/{id}") { request in
            .text("order \(request.pathParameters["id"] ?? "?") sku=\(request.query("sku") ?? "-")")
        }
        router.post("/orders") { _ in HTTPResponse(status: .accepted) }
        router.delete("/orders/{id}") { request in .text("deleted \(request.pathParameters["id"] ?? "?")") }
        router.get("/skus/{sku}/orders/{id}") { request in
            .text("\(request.pathParameters["sku"] ?? "?")/\(request.pathParameters["id"] ?? "?")")
        }
        router.add(HTTPMethod("PURGE")!, "/cache") { _ in .text("purged") }
        return router
    }()

    static func body(_ response: HTTPResponse) -> String {
        guard case .bytes(let bytes) = response.body else { return "<stream>" }
        return bytes.description
    }

    @Test func parametersArePercentDecodedAndQueryIsApart() async throws {
        let response = try await Self.router.handle(try Self.get("/orders/a%20b?sku=x+y%21&z"))
        #expect(response.status == .ok)
        #expect(Self.body(response) == "order a b sku=x y!")
        let two = try await Self.router.handle(try Self.get("/skus/s%2F1/orders/7"))
        #expect(Self.body(two) == "s/1/7")
    }

    @Test func eachMethodHasItsOwnRoute() async throws {
        #expect(try await Self.router.handle(try Self.get("/orders", method: "POST")).status == .accepted)
        #expect(Self.body(try await Self.router.handle(try Self.get("/orders/9", method: "DELETE"))) == "deleted 9")
        #expect(Self.body(try await Self.router.handle(try Self.get("/cache", method: "PURGE"))) == "purged")
    }

    /// Segments are the non-empty runs between slashes; a parameter takes exactly one.
    @Test(arguments: [
        ("/orders/1/", 200), ("//orders//1", 200), ("/orders/", 405), ("/orders/1/2", 404), ("/orders//", 405),
        ("/Orders/1", 404), ("http://h/orders/1", 200), ("/orders/1#frag", 200),
    ])
    func pathSegments(target: String, status: Int) async throws {
        #expect(try await Self.router.handle(try Self.get(target)).status.code == status)
    }

    @Test func queryItems() throws {
        let request = try Self.get("/p?a=1&b=&c&a=2")
        #expect(request.queryItems.map { "\($0.name)=\($0.value)" } == ["a=1", "b=", "c=", "a=2"])
        #expect(request.path == "/p")
        #expect(try Self.get("http://h:80/q/r?s").path == "/q/r")
        #expect(try Self.get("http://h:80").path == "/")
        #expect(try Self.get("/caf%C3%A9/x#frag").path == "/caf%C3%A9/x")
        #expect(try Self.get("/").path == "/")
    }

    @Test func notFoundAndMethodNotAllowed() async throws {
        #expect(try await Self.router.handle(try Self.get("/nope")).status == .notFound)
        let response = try await Self.router.handle(try Self.get("/orders", method: "DELETE"))
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers.first("Allow") == "POST")
        let item = try await Self.router.handle(try Self.get("/orders/1", method: "PUT"))
        #expect(item.headers.first("allow") == "GET, DELETE, HEAD")
    }

    @Test func headIsServedByTheGETRouteAndAllowedWhereGETIs() async throws {
        let head = try await Self.router.handle(try Self.get("/orders/a", method: "HEAD"))
        #expect(head.status == .ok && Self.body(head) == "order a sku=-")
        #expect(try await Self.router.handle(try Self.get("/orders", method: "HEAD")).status == .methodNotAllowed)
        var own = HTTPRouter()
        own.get("/x") { _ in .text("get") }
        own.head("/x") { _ in .text("head") }
        #expect(Self.body(try await own.handle(try Self.get("/x", method: "HEAD"))) == "head")
    }

    @Test func continuePolicy() throws {
        #expect(Self.router.continuePolicy(for: try Self.get("/orders", method: "POST").head) == nil)
        #expect(Self.router.continuePolicy(for: try Self.get("/other", method: "POST").head)?.status == .notFound)
        #expect(Self.router.continuePolicy(for: try Self.get("/orders", method: "PUT").head)?.status == .methodNotAllowed)
    }

    /// A malformed pattern is a mistake in the code: the program stops at once rather than
    /// serve routes that cannot match.
    @Test func malformedPatternsStopTheProgram() async {
        await #expect(processExitsWith: .failure) { _ = HTTPRouter().adding("/orders/{id") }
        await #expect(processExitsWith: .failure) { _ = HTTPRouter().adding("/orders/{}") }
        await #expect(processExitsWith: .failure) { _ = HTTPRouter().adding("/orders/x{id}") }
        await #expect(processExitsWith: .failure) { _ = HTTPRouter().adding("/a/{id}/b/{id}") }
    }
}

extension HTTPRouter {
    /// This router with a GET route for `pattern`.
    func adding(_ pattern: String) -> HTTPRouter {
        var router = self
        router.get(pattern) { _ in .text("") }
        return router
    }
}

/// The value types of requests and responses.
@Suite struct HTTPTypesTests {
    @Test func methods() throws {
        #expect(HTTPMethod("GET") == .get)
        #expect(HTTPMethod("get") != .get, "methods are case-sensitive")
        #expect(HTTPMethod("PURGE")?.rawValue == "PURGE")
        #expect(HTTPMethod("") == nil && HTTPMethod("GE T") == nil && HTTPMethod("GET\r\n") == nil)
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(string: "PURGE / HTTP/1.1\r\nHost: h\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"))
        guard case .head(let purge) = try parser.next(), case .end = try parser.next(), case .head(let options) = try parser.next() else {
            Issue.record("expected two heads")
            return
        }
        #expect(purge.method == HTTPMethod("PURGE"))
        #expect(options.method == .options)
    }

    @Test func statuses() {
        let accepted: HTTPStatus = 202
        #expect(accepted == .accepted && accepted.reasonPhrase == "Accepted")
        #expect(HTTPStatus(code: 299).reasonPhrase.isEmpty)
        #expect(HTTPStatus(code: 200, reasonPhrase: "Fine") == .ok, "equal by code")
        #expect(HTTPStatus.noContent.forbidsBody && HTTPStatus.notModified.forbidsBody && HTTPStatus.continue.forbidsBody)
        #expect(!HTTPStatus.ok.forbidsBody)
        #expect("\(HTTPStatus.serviceUnavailable)" == "503 Service Unavailable")
    }

    @Test func oneHeadersTypeForRequestsAndResponses() throws {
        let head = try parsedHead("GET / HTTP/1.1\r\nHost: h\r\nX-Id: 1\r\nx-id: 2\r\n\r\n")
        var received = head.headers
        #expect(received.values("X-ID") == ["1", "2"])
        received.add(name: "X-More", value: "3")
        received.remove(name: "host")
        #expect(received.map(\.name) == ["X-Id", "x-id", "X-More"])
        #expect(head.headers.count == 3, "the request's own fields are untouched")

        var built: HTTPHeaders = [("Content-Type", "text/plain")]
        built.replaceOrAdd(name: "content-type", value: "application/json")
        built.add(name: "Retry-After", value: "1")
        #expect(built.map(\.value) == ["application/json", "1"])
        #expect(built.first("RETRY-AFTER") == "1")
        #expect(built.valueBytes(at: 1) == ByteBuffer(string: "1"))
        #expect(built.withUnsafeField(at: 0) { name, value in (Array(name), Array(value)) } == (Array("content-type".utf8), Array("application/json".utf8)))
    }
}
