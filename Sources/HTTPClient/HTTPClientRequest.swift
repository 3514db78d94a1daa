import Bytes
import HTTPCodec

/// A request to send: method, target, header fields and a body sent with Content-Length.
public struct HTTPClientRequest: Sendable, Hashable {
    public var method: String
    /// The origin-form target: path and optional query, starting with `/`.
    public var target: String
    /// Fields to send besides Host and Content-Length, which the client writes itself.
    public var headers: HTTPFields
    public var body: ByteBuffer

    public init(method: String, target: String, headers: HTTPFields = HTTPFields(), body: ByteBuffer = ByteBuffer()) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// The request's bytes with `Host: host` and `Content-Length`.
    /// - Throws: `HTTPClientError.invalidRequest` naming the part that would break the framing:
    ///   a method or field name that is not a token, a target or field value with a control
    ///   character (CR and LF included), or a Host or Content-Length field given by the caller.
    func encoded(host: String) throws(HTTPClientError) -> ByteBuffer {
        guard !method.isEmpty, method.utf8.allSatisfy(\.isTokenByte) else { throw .invalidRequest("method \(method.debugDescription) is not a token") }
        guard target.utf8.first == UInt8(ascii: "/"), target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidRequest("target \(target.debugDescription) is not an origin-form path of visible ASCII")
        }
        for field in headers {
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(\.isTokenByte) else { throw .invalidRequest("field name \(field.name.debugDescription) is not a token") }
            guard field.value.utf8.allSatisfy(\.isFieldValueByte) else { throw .invalidRequest("value of \(field.name) has a control character") }
            guard !HTTPFields.sameName(field.name, "host"), !HTTPFields.sameName(field.name, "content-length"),
                  !HTTPFields.sameName(field.name, "transfer-encoding")
            else { throw .invalidRequest("\(field.name) is written by the client") }
        }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        head += "Content-Length: \(body.readableBytes)\r\n\r\n"
        var bytes = ByteBuffer(capacity: head.utf8.count + body.readableBytes)
        bytes.writeString(head)
        bytes.writeBuffer(body)
        return bytes
    }
}

/// A complete response: head and the whole (de-chunked) body.
public struct HTTPClientResponse: Sendable, Hashable {
    public var head: HTTPResponseHead
    public var body: ByteBuffer
    /// Trailer fields of a chunked body, usually none.
    public var trailers: HTTPFields

    public var status: Int { head.status }
    public var headers: HTTPFields { head.headers }
}
