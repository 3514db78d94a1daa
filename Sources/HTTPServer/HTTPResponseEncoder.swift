import Bytes
import HTTPCodec

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
        let code = response.status.code
        buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + code / 100))
        buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + code / 10 % 10))
        buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + code % 10))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeString("\r\nDate: ")
        buffer.writeString(date)
        let headers = response.headers
        for index in headers.indices {
            headers.withUnsafeField(at: index) { name, value in
                guard !isOwnedField(name) else { return }
                buffer.writeString("\r\n")
                buffer.writeBytes(name)
                buffer.writeString(": ")
                buffer.writeBytes(value)
            }
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
        // 101 and 426 carry `Upgrade`, which needs the `upgrade` connection option (RFC 9110 §7.8).
        let upgrades = code == 101 || code == 426
        if !keepAlive {
            buffer.writeString(upgrades ? "\r\nConnection: Upgrade, close" : "\r\nConnection: close")
        } else if version == .http1_0 {
            buffer.writeString("\r\nConnection: keep-alive")
        } else if upgrades {
            buffer.writeString("\r\nConnection: Upgrade")
        }
        buffer.writeString("\r\n\r\n")
    }

    /// Whether the encoder writes the field called `name` itself (compared case-insensitively).
    static func isOwnedField(_ name: UnsafeRawBufferPointer) -> Bool {
        // Lengths first: most names are none of these, and are told apart without folding case.
        switch name.count {
        case 4: return name.elementsEqual("date".utf8) { $0 | 0x20 == $1 }
        case 10: return name.elementsEqual("connection".utf8) { $0 | 0x20 == $1 }
        case 14: return name.elementsEqual("content-length".utf8) { $0 | 0x20 == $1 }
        case 17: return name.elementsEqual("transfer-encoding".utf8) { $0 | 0x20 == $1 }
        default: return false
        }
    }

    /// What of `response` cannot be sent as it is, or nil: a field name that is not a token, or
    /// a field value or reason phrase with a control character. A CR or LF would end the line
    /// early and let the rest pose as fields or as another response.
    static func unsendablePart(of response: HTTPResponse) -> String? {
        var phrase = response.status.reasonPhrase
        if phrase.withUTF8({ !isFieldValue(UnsafeRawBufferPointer($0)) }) { return "reason phrase" }
        let headers = response.headers
        for index in headers.indices {
            let sendable = headers.withUnsafeField(at: index) { name, value in
                !name.isEmpty && tokenEnd(name.baseAddress!.assumingMemoryBound(to: UInt8.self), from: 0, end: name.count) == name.count
                    && isFieldValue(value)
            }
            if !sendable { return "field \(headers.name(at: index).debugDescription)" }
        }
        return nil
    }

    /// Whether every byte of `bytes` may stand in a field value.
    private static func isFieldValue(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return firstInvalidFieldValueByte(base.assumingMemoryBound(to: UInt8.self), from: 0, end: bytes.count) == bytes.count
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
    /// request's, when known; HTTP/1.1 otherwise), with `Retry-After` when given.
    static func errorResponse(status: HTTPStatus, message: String, version: HTTPVersion?, date: String,
                              retryAfterSeconds: Int? = nil) -> ByteBuffer {
        var buffer = ByteBuffer(capacity: 180 + message.utf8.count)
        var response = HTTPResponse.text(message + "\n", status: status)
        if let retryAfterSeconds { response.headers.add(name: "Retry-After", value: String(retryAfterSeconds)) }
        let body = message.utf8.count + 1
        writeHead(response, framing: .length(body), version: version ?? .http1_1, keepAlive: false, date: date,
                  into: &buffer)
        buffer.writeString(message)
        buffer.writeString("\n")
        return buffer
    }
}
