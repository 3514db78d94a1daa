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

    /// The status code, e.g. 202.
    public var status: Int
    /// Fields to send besides those the server adds.
    public var headers: [(name: String, value: String)]
    /// The body; empty by default.
    public var body: Body
    /// Whether to close the connection after this response even if the client would keep it.
    public var closeConnection: Bool

    /// A response with `status`, extra `headers` and `body`.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: Body = .bytes(ByteBuffer()),
                closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    /// A response with a plain-text body.
    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .bytes(ByteBuffer(string: text)))
    }

    /// The standard reason phrase for `status`, or an empty string.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: ""
        }
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
