import Bytes
import Glibc

/// An HTTP version number.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    public var description: String { "\(major).\(minor)" }
}

/// How the body of a request is delimited.
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body (no Content-Length and no Transfer-Encoding, or Content-Length: 0).
    case none
    /// Exactly this many bytes follow the head.
    case length(Int)
    /// A chunked body follows, ending with a zero-size chunk and an optional trailer section.
    case chunked
}

/// The request line and header fields of one request, viewing the received bytes.
public struct HTTPRequestHead: Sendable {
    /// The bytes of the request line and header section; offsets below are relative to its reader.
    let bytes: ByteBuffer
    let methodLength: Int
    let targetStart: Int
    let targetLength: Int

    /// The protocol version, 1.0 or 1.1.
    public let version: HTTPVersion
    /// The header fields in the order received.
    public let headers: HTTPHeaders
    /// Whether the connection may carry another request after this one: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public let keepAlive: Bool
    /// Whether the client sent `Expect: 100-continue` and waits for a 100 before sending the body.
    public let expectsContinue: Bool
    /// How the body is delimited.
    public let framing: HTTPBodyFraming

    /// The method, e.g. `GET`, case-sensitive as received.
    public var method: String { bytes.getString(at: bytes.readerIndex, length: methodLength)! }

    /// The request target as received: origin-form (`/path?query`), absolute-form, or `*`.
    public var target: String { bytes.getString(at: bytes.readerIndex + targetStart, length: targetLength)! }

    /// Calls `body` with the request target's bytes, without copying; the pointer is valid only
    /// inside `body`.
    public func withUnsafeTarget<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeReadableBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[targetStart..<targetStart + targetLength]))
        }
    }

    /// Whether the method is `name`, compared without creating a string.
    public func isMethod(_ name: StaticString) -> Bool {
        guard name.utf8CodeUnitCount == methodLength else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            memcmp(raw.baseAddress!, name.utf8Start, methodLength) == 0
        }
    }
}

/// One piece of a parsed request, in stream order: `head`, zero or more `body` parts, `end`.
public enum HTTPRequestPart: Sendable {
    /// The request line and headers.
    case head(HTTPRequestHead)
    /// A piece of the body (de-chunked), sharing storage with the fed bytes.
    case body(ByteBuffer)
    /// The end of the request, with the trailer fields of a chunked body when it had any.
    case end(HTTPHeaders?)
}
