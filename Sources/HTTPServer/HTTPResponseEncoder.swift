import Bytes

/// Serialises response heads and chunks into bytes (no I/O).
enum HTTPResponseEncoder {
    /// How the body of an encoded response is delimited.
    enum Framing: Equatable {
        case length(Int)
        case chunked
        /// The body ends when the connection closes (streamed bodies to HTTP/1.0 clients).
        case close
        /// No body and no framing field: 1xx, 204 and 304 responses.
        case none
    }

    /// Whether responses with `status` never carry a body (RFC 9110 §6.4.1).
    static func forbidsBody(_ status: Int) -> Bool {
        status < 200 || status == 204 || status == 304
    }

    /// Writes the status line and header section of `response`. `Date`, the framing fields and
    /// `Connection` are the encoder's: fields of those names in `response` are left out, so none
    /// is ever sent twice or contradicts the framing actually used.
    ///
    /// - Parameters:
    ///   - version: the request's version; the response uses the same major and minor, as
    ///     HTTP/1.0 clients may not understand 1.1 framing.
    ///   - keepAlive: whether the connection stays open afterwards; HTTP/1.1 says so only when
    ///     closing, HTTP/1.0 only when keeping.
    static func writeHead(_ response: HTTPResponse, framing: Framing, version: HTTPVersion, keepAlive: Bool,
                          date: String, into buffer: inout ByteBuffer) {
        buffer.writeString(version == .http1_0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeString(String(response.status))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(HTTPResponse.reasonPhrase(response.status))
        buffer.writeString("\r\nDate: ")
        buffer.writeString(date)
        for (name, value) in response.headers where !isOwnedField(name) {
            buffer.writeString("\r\n")
            buffer.writeString(name)
            buffer.writeString(": ")
            buffer.writeString(value)
        }
        switch framing {
        case .length(let count):
            buffer.writeString("\r\nContent-Length: ")
            buffer.writeString(String(count))
        case .chunked:
            buffer.writeString("\r\nTransfer-Encoding: chunked")
        case .close, .none:
            break
        }
        if !keepAlive {
            buffer.writeString("\r\nConnection: close")
        } else if version == .http1_0 {
            buffer.writeString("\r\nConnection: keep-alive")
        }
        buffer.writeString("\r\n\r\n")
    }

    /// Whether the encoder writes the field called `name` itself (compared case-insensitively).
    static func isOwnedField(_ name: String) -> Bool {
        let utf8 = name.utf8
        // Lengths first: most names are none of these, and are told apart without folding case.
        switch utf8.count {
        case 4: return utf8.elementsEqual("date".utf8) { $0 | 0x20 == $1 }
        case 10: return utf8.elementsEqual("connection".utf8) { $0 | 0x20 == $1 }
        case 14: return utf8.elementsEqual("content-length".utf8) { $0 | 0x20 == $1 }
        case 17: return utf8.elementsEqual("transfer-encoding".utf8) { $0 | 0x20 == $1 }
        default: return false
        }
    }

    /// Writes one chunk of a chunked body; empty data would end the body, so it writes nothing.
    static func writeChunk(_ data: ByteBuffer, into buffer: inout ByteBuffer) {
        guard data.readableBytes > 0 else { return }
        buffer.writeString(String(data.readableBytes, radix: 16))
        buffer.writeString("\r\n")
        buffer.writeBuffer(data)
        buffer.writeString("\r\n")
    }

    /// The last chunk and an empty trailer section.
    static func writeLastChunk(into buffer: inout ByteBuffer) {
        buffer.writeString("0\r\n\r\n")
    }

    /// A complete plain-text error response that closes the connection, in `version` (the
    /// request's, when known; HTTP/1.1 otherwise).
    static func errorResponse(status: Int, message: String, version: HTTPVersion?, date: String) -> ByteBuffer {
        var buffer = ByteBuffer(capacity: 160 + message.utf8.count)
        let response = HTTPResponse.text(message + "\n", status: status)
        let body = message.utf8.count + 1
        writeHead(response, framing: .length(body), version: version ?? .http1_1, keepAlive: false, date: date,
                  into: &buffer)
        buffer.writeString(message)
        buffer.writeString("\n")
        return buffer
    }
}
