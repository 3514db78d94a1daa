import Bytes

/// The status line and header fields of a response.
public struct HTTPResponseHead: Sendable, Hashable {
    /// The minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    public var minorVersion: Int
    /// The status code, 100 to 999.
    public var status: Int
    /// The reason phrase, possibly empty; carries no meaning.
    public var reason: String
    public var headers: HTTPFields
    /// Whether the connection may carry another request once this response has ended: HTTP/1.1
    /// without `Connection: close`, HTTP/1.0 with `Connection: keep-alive`, and never when
    /// the body ends only when the server closes the connection.
    public var keepAlive: Bool
}

/// A piece of a response as the parser hands it out: a head, zero or more body parts, an end.
public enum HTTPResponsePart: Sendable, Hashable {
    case head(HTTPResponseHead)
    /// Body bytes, de-chunked.
    case body(ByteBuffer)
    /// The end of the response, with its trailer fields (empty unless chunked with trailers).
    case end(HTTPFields)
}
