/// Dispatches requests by method and path to handlers.
///
/// ```swift
/// var router = HTTPRouter()
/// router.post("/orders") { request in HTTPResponse(status: .accepted) }
/// router.get("/orders/{id}") { request in .text("order \(request.pathParameters["id"]!)") }
/// ```
///
/// A pattern's segments are literals or `{name}` parameters; a parameter matches one non-empty
/// segment and is available, percent-decoded, in `HTTPRequest.pathParameters`. Unknown paths
/// get 404; known paths with another method get 405 with an `Allow` field. HEAD is served by the
/// GET route of a path that has no HEAD route of its own (RFC 9110 §9.3.2); the server sends the
/// response without its body. Earlier routes win when several match.
public struct HTTPRouter: Sendable {
    private struct Route: Sendable {
        let method: HTTPMethod
        let pattern: HTTPRoutePattern
        let handler: HTTPServer.Handler
    }

    private var routes: [Route] = []

    /// A router without routes (everything is 404).
    public init() {}

    /// Routes `method` requests to `pattern`, e.g. `/orders/{id}`, to `handler`. A malformed
    /// pattern (braces around less than a whole segment, an empty or repeated name) stops the
    /// program: it is a mistake in the code, not in a request.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping HTTPServer.Handler) {
        routes.append(Route(method: method, pattern: HTTPRoutePattern(pattern), handler: handler))
    }

    /// Routes GET (and HEAD, unless it has a route of its own) requests to `pattern`.
    public mutating func get(_ pattern: String, _ handler: @escaping HTTPServer.Handler) { add(.get, pattern, handler) }
    /// Routes POST requests to `pattern`.
    public mutating func post(_ pattern: String, _ handler: @escaping HTTPServer.Handler) { add(.post, pattern, handler) }
    /// Routes PUT requests to `pattern`.
    public mutating func put(_ pattern: String, _ handler: @escaping HTTPServer.Handler) { add(.put, pattern, handler) }
    /// Routes PATCH requests to `pattern`.
    public mutating func patch(_ pattern: String, _ handler: @escaping HTTPServer.Handler) { add(.patch, pattern, handler) }
    /// Routes DELETE requests to `pattern`.
    public mutating func delete(_ pattern: String, _ handler: @escaping HTTPServer.Handler) { add(.delete, pattern, handler) }
    /// Routes HEAD requests to `pattern`, instead of its GET route.
    public mutating func head(_ pattern: String, _ handler: @escaping HTTPServer.Handler) { add(.head, pattern, handler) }
    /// Routes OPTIONS requests to `pattern`.
    public mutating func options(_ pattern: String, _ handler: @escaping HTTPServer.Handler) { add(.options, pattern, handler) }

    /// Runs the handler of the matching route, or answers 404 or 405. Throws what the handler
    /// throws, which is untyped like `HTTPServer.Handler`.
    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        switch match(request.head) {
        case .found(let route, let parameters):
            var request = request
            request.pathParameters = parameters
            return try await route.handler(request)
        case .methodNotAllowed(let allowed):
            return Self.methodNotAllowed(allowed)
        case .notFound:
            return .text("not found\n", status: .notFound)
        }
    }

    /// The `HTTPServer.ContinuePolicy` of this router: the body is wanted when a route would take
    /// the request; otherwise the 404 or 405 goes out before the client sends the body.
    public func continuePolicy(for head: HTTPRequestHead) -> HTTPResponse? {
        switch match(head) {
        case .found: nil
        case .methodNotAllowed(let allowed): Self.methodNotAllowed(allowed)
        case .notFound: .text("not found\n", status: .notFound)
        }
    }

    private static func methodNotAllowed(_ allowed: [HTTPMethod]) -> HTTPResponse {
        var response = HTTPResponse.text("method not allowed\n", status: .methodNotAllowed)
        response.headers.add(name: "Allow", value: allowed.map(\.rawValue).joined(separator: ", "))
        return response
    }

    private enum Match {
        case found(Route, [String: String])
        case methodNotAllowed([HTTPMethod])
        case notFound
    }

    private func match(_ head: HTTPRequestHead) -> Match {
        let method = head.method
        return head.withUnsafePath { path in
            var allowed: [HTTPMethod] = []
            var getRoute: (Route, [String: String])?
            for route in routes {
                guard let parameters = route.pattern.match(path) else { continue }
                if route.method == method { return .found(route, parameters) }
                if route.method == .get, getRoute == nil { getRoute = (route, parameters) }
                if !allowed.contains(route.method) { allowed.append(route.method) }
            }
            if method == .head, let (route, parameters) = getRoute { return .found(route, parameters) }
            if getRoute != nil, !allowed.contains(.head) { allowed.append(.head) }
            return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
        }
    }
}
