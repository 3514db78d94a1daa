import Bytes

/// A response to send: status, header fields and a body.
///
/// The server adds `Date`, the framing (`Content-Length`, or `Transfer-Encoding: chunked` for
/// streamed bodies) and `Connection` itself: fields of those names in `headers` are not sent
/// (set `closeConnection` to close the connection).
public struct HTTPResponse: Sendable {
    /// A response body.
    public enum Body: Sendable {
        /// A body known in full, sent with `Content-Length`.
        case bytes(ByteBuffer)
        /// A body produced piece by piece, sent chunked (to HTTP/1.0 clients: delimited by
        /// closing the connection).
        case stream(@Sendable (HTTPBodyWriter) async throws -> Void)
    }

    /// The status, e.g. `.accepted`.
    public var status: HTTPStatus
    /// Fields to send besides those the server adds.
    public var headers: HTTPHeaders
    /// The body; empty by default.
    public var body: Body
    /// Whether to close the connection after this response even if the client would keep it.
    public var closeConnection: Bool
    /// What a 101 switches the connection to (set by `HTTPRouter.webSocket`).
    var upgrade: WebSocketUpgrade?

    /// A response with `status`, extra `headers` and `body`.
    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes(ByteBuffer()),
                closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    /// A response with a plain-text body.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .bytes(ByteBuffer(string: text)))
    }
}

/// Sends the pieces of a streamed response body.
public struct HTTPBodyWriter: Sendable {
    let send: @Sendable (ByteBuffer) async throws -> Void

    /// Sends `bytes` as the next piece of the body; empty buffers are skipped.
    public func write(_ bytes: ByteBuffer) async throws {
        guard bytes.readableBytes > 0 else { return }
        try await send(bytes)
    }
}
