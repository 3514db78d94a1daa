import HTTPServer
import Tracing

/// What a service does around each HTTP request it handles: a server span, and with
/// `ACCESS_LOG` a log line.
///
/// The span follows the HTTP semantic conventions: its parent is the client's `traceparent` and
/// `tracestate` when valid (anything malformed is ignored, never answered 400), it is named
/// `{method} {route}` once the route names it (`route(_:of:)`), else `{method}`, and it has the
/// request's method, path, scheme, protocol version, `Host`, user agent and body size, and the
/// response's status and body size; a 5xx is an error. Health checks and the Prometheus page,
/// which probes and scrapers call every few seconds, get no span.
///
/// The access log line (`msg` `request`) has the method, path, status, duration (handling, in
/// milliseconds), response body bytes and, in the span's head fields, the trace id.
struct HTTPInstrumentation: Sendable {
    let tracer: Tracer
    let logger: JSONLogger
    let accessLog: Bool

    /// Paths that get no span.
    static let untracedPaths: Set<String> = ["/livez", "/readyz", "/metrics/prometheus"]

    /// Handles `request` with `handler`, instrumented.
    func handle(_ request: HTTPRequest, _ handler: HTTPServer.Handler) async throws -> HTTPResponse {
        let headers = request.headers
        let traceparents = headers.values(SpanContext.traceparentHeader)
        let parent = traceparents.isEmpty ? nil : SpanContext(traceparent: traceparents, tracestate: headers.values(SpanContext.tracestateHeader))
        // Tracing off and no context to pass through: nothing to do.
        guard accessLog || parent != nil || !tracer.isDisabled else { return try await handler(request) }
        let started = ContinuousClock.now
        let path = request.path
        let span = Self.untracedPaths.contains(path) ? nil : tracer.startSpan(request.method.rawValue, kind: .server, parent: parent)
        if let span, span.isRecording { Self.describe(request, path: path, on: span) }
        do {
            let response = try await Span.$current.withValue(span) { try await handler(request) }
            if let span { Self.describe(response, on: span) }
            log(request, path: path, status: response.status.code, bytes: response.bodySize, since: started, span: span)
            span?.end()
            return response
        } catch {
            span?.setAttribute("error.type", .string(String(describing: type(of: error))))
            span?.recordError(error)
            log(request, path: path, status: 500, bytes: nil, since: started, span: span)
            span?.end()
            throw error
        }
    }

    /// Names the current server span after `route`, the pattern that matched `request`
    /// (`POST /orders`), and sets `http.route`. Route handlers call it first.
    static func route(_ route: String, of request: HTTPRequest) {
        guard let span = Span.current, span.isRecording else { return }
        span.updateName("\(request.method.rawValue) \(route)")
        span.setAttribute("http.route", .string(route))
    }

    private func log(_ request: HTTPRequest, path: String, status: Int, bytes: Int?, since started: ContinuousClock.Instant, span: Span?) {
        guard accessLog else { return }
        let elapsed = (ContinuousClock.now - started).components
        var fields: LogFields = [
            "method": .string(request.method.rawValue), "path": .string(path), "status": .int(status),
            "duration_ms": .double(Double(elapsed.seconds) * 1e3 + Double(elapsed.attoseconds) / 1e15),
        ]
        if let bytes { fields["bytes"] = .int(bytes) }
        // Within the span, so the line carries its trace_id and span_id.
        Span.$current.withValue(span) { logger.info("request", fields) }
    }

    private static func describe(_ request: HTTPRequest, path: String, on span: Span) {
        span.setAttribute("http.request.method", .string(request.method.rawValue))
        span.setAttribute("url.path", .string(path))
        span.setAttribute("url.scheme", "http")
        span.setAttribute("network.protocol.version", .string(request.head.version.description))
        if let host = request.headers.first("Host") {
            let (address, port) = splitHost(host)
            span.setAttribute("server.address", .string(address))
            if let port { span.setAttribute("server.port", .int(Int64(port))) }
        }
        if let agent = request.headers.first("User-Agent") { span.setAttribute("user_agent.original", .string(agent)) }
        span.setAttribute("http.request.body.size", .int(Int64(request.body.readableBytes)))
    }

    private static func describe(_ response: HTTPResponse, on span: Span) {
        let status = response.status.code
        span.setAttribute("http.response.status_code", .int(Int64(status)))
        if let bytes = response.bodySize { span.setAttribute("http.response.body.size", .int(Int64(bytes))) }
        if status >= 500 {
            span.setAttribute("error.type", .string(String(status)))
            span.setStatus(.error(description: ""))
        }
    }

    /// `host[:port]` of a `Host` field, an IPv6 literal's brackets kept.
    private static func splitHost(_ host: String) -> (String, Int?) {
        guard let colon = host.lastIndex(of: ":"), !host[colon...].contains("]"), let port = Int(host[host.index(after: colon)...]) else { return (host, nil) }
        return (String(host[..<colon]), port)
    }
}

private extension HTTPResponse {
    /// The body's length, nil for a streamed body.
    var bodySize: Int? {
        if case .bytes(let bytes) = body { return bytes.readableBytes }
        return nil
    }
}
