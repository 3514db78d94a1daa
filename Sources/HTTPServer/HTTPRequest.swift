import Bytes

/// A complete request as handed to a handler: head, whole body and trailers.
public struct HTTPRequest: Sendable {
    /// Request line and header fields.
    public let head: HTTPRequestHead
    /// The body, de-chunked; empty when there is none.
    public let body: ByteBuffer
    /// Trailer fields of a chunked body, if it had any.
    public let trailers: HTTPHeaders?
    /// Values of the `{name}` segments of the route that matched, percent-decoded, set by
    /// `HTTPRouter`.
    public internal(set) var pathParameters: [String: String] = [:]
    /// When the server stops waiting for this request's handler (`Configuration.requestTimeout`
    /// after the request was read): the handler is then cancelled and the client answered 503.
    /// Work the handler queues should not start after it. Nil without a request timeout.
    public internal(set) var deadline: ContinuousClock.Instant?

    /// A request made of parsed parts, as the server assembles it.
    public init(head: HTTPRequestHead, body: ByteBuffer, trailers: HTTPHeaders? = nil) {
        self.head = head
        self.body = body
        self.trailers = trailers
    }

    /// The method, e.g. `.get`.
    public var method: HTTPMethod { head.method }
    /// The header fields.
    public var headers: HTTPHeaders { head.headers }

    /// The path of the target without the query, still percent-encoded (`/orders/42`).
    /// For an absolute-form target, the path after the authority.
    public var path: String {
        head.withUnsafePath { String(decoding: $0, as: UTF8.self) }
    }

    /// The query items in order, percent-decoded, `+` read as a space. Items without `=` have
    /// an empty value.
    public var queryItems: [(name: String, value: String)] {
        let target = head.target
        guard let mark = target.firstIndex(of: "?") else { return [] }
        let query = target[target.index(after: mark)...].prefix { $0 != "#" }
        return query.split(separator: "&").map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (PercentEncoding.decodeLeniently(parts[0], plusAsSpace: true), parts.count > 1 ? PercentEncoding.decodeLeniently(parts[1], plusAsSpace: true) : "")
        }
    }

    /// The first value of query item `name`, or nil.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }
}
