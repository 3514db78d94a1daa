import Bytes

/// Dispatches requests by method and path to handlers.
///
/// Patterns are paths whose segments are literals or `:name` parameters, e.g.
/// `/orders/:id`; a parameter matches one non-empty segment and is available, percent-decoded,
/// in `HTTPRequest.pathParameters`. Unknown paths get 404; known paths with another method get
/// 405 with an `Allow` field. HEAD is served by the GET route of a path that has no HEAD route of
/// its own (RFC 9110 §9.3.2); the server sends the response without its body.
public struct HTTPRouter: Sendable {
    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private struct Route: Sendable {
        let method: String
        let segments: [Segment]
        let handler: HTTPServer.Handler
    }

    private var routes: [Route] = []

    /// A router without routes (everything is 404).
    public init() {}

    /// Adds a route; earlier routes win when several match.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping HTTPServer.Handler) {
        let segments = Self.split(pattern).map { part in
            part.hasPrefix(":") ? Segment.parameter(String(part.dropFirst())) : .literal(String(part))
        }
        routes.append(Route(method: method, segments: segments, handler: handler))
    }

    /// Runs the handler of the matching route, or answers 404 or 405. Throws what the handler
    /// throws, which is untyped like `HTTPServer.Handler`.
    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        switch match(method: request.method, path: request.path) {
        case .found(let route, let parameters):
            var request = request
            request.pathParameters = parameters
            return try await route.handler(request)
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.text("method not allowed\n", status: 405)
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return response
        case .notFound:
            return .text("not found\n", status: 404)
        }
    }

    /// The `HTTPServer.ContinuePolicy` of this router: the body is wanted when a route would take
    /// the request; otherwise the 404 or 405 goes out before the client sends the body.
    public func continuePolicy(for head: HTTPRequestHead) -> HTTPResponse? {
        let path = HTTPRequest(head: head, body: .init()).path
        switch match(method: head.method, path: path) {
        case .found: return nil
        case .methodNotAllowed: return .text("method not allowed\n", status: 405)
        case .notFound: return .text("not found\n", status: 404)
        }
    }

    private enum Match {
        case found(Route, [String: String])
        case methodNotAllowed([String])
        case notFound
    }

    private func match(method: String, path: String) -> Match {
        let parts = Self.split(Substring(path))
        var allowed: [String] = []
        var getRoute: (Route, [String: String])?
        for route in routes {
            guard let parameters = Self.parameters(route.segments, parts) else { continue }
            if route.method == method { return .found(route, parameters) }
            if route.method == "GET", getRoute == nil { getRoute = (route, parameters) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if method == "HEAD", let (route, parameters) = getRoute { return .found(route, parameters) }
        if getRoute != nil, !allowed.contains("HEAD") { allowed.append("HEAD") }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }

    private static func parameters(_ segments: [Segment], _ parts: [Substring]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text):
                guard part == text else { return nil }
            case .parameter(let name):
                parameters[name] = PercentEncoding.decodeLeniently(part)
            }
        }
        return parameters
    }

    private static func split(_ path: Substring) -> [Substring] {
        path.split(separator: "/")
    }

    private static func split(_ pattern: String) -> [Substring] {
        split(Substring(pattern))
    }
}
