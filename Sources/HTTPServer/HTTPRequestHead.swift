import Bytes

/// An HTTP version number.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    /// The digit before the dot.
    public var major: Int
    /// The digit after the dot.
    public var minor: Int

    /// The version `major.minor`.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// HTTP/1.0.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// `major.minor`, e.g. `1.1`.
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
    // Stored compactly: a head travels by value through every `HTTPRequestPart`, so its size is
    // copied once per part.
    let methodLength: UInt32
    @usableFromInline let targetStart: UInt32
    @usableFromInline let targetLength: UInt32
    let minorVersion: UInt8
    let flags: UInt8
    let contentLength: Int
    /// The received head and its field records. Its bytes start with the request line, so
    /// method and target are read from the same storage.
    @usableFromInline let storage: FieldStorage

    /// The header fields in the order received.
    public var headers: HTTPHeaders { HTTPHeaders(received: storage) }

    private static let keepAliveFlag: UInt8 = 1
    private static let expectsContinueFlag: UInt8 = 2
    private static let chunkedFlag: UInt8 = 4

    init(storage: FieldStorage, methodLength: UInt32, targetStart: UInt32, targetLength: UInt32, minorVersion: UInt8,
         keepAlive: Bool, expectsContinue: Bool, framing: HTTPBodyFraming) {
        self.storage = storage
        self.methodLength = methodLength
        self.targetStart = targetStart
        self.targetLength = targetLength
        self.minorVersion = minorVersion
        var flags: UInt8 = 0
        if keepAlive { flags |= Self.keepAliveFlag }
        if expectsContinue { flags |= Self.expectsContinueFlag }
        switch framing {
        case .none: contentLength = 0
        case .length(let count): contentLength = count
        case .chunked:
            contentLength = 0
            flags |= Self.chunkedFlag
        }
        self.flags = flags
    }

    /// The protocol version, 1.0 or 1.1.
    public var version: HTTPVersion { HTTPVersion(major: 1, minor: Int(minorVersion)) }

    /// Whether the connection may carry another request after this one: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool { flags & Self.keepAliveFlag != 0 }

    /// Whether the client sent `Expect: 100-continue` and waits for a 100 before sending the body.
    public var expectsContinue: Bool { flags & Self.expectsContinueFlag != 0 }

    /// How the body is delimited.
    public var framing: HTTPBodyFraming {
        if flags & Self.chunkedFlag != 0 { return .chunked }
        return contentLength > 0 ? .length(contentLength) : .none
    }

    /// The method, e.g. `.get`, case-sensitive as received.
    public var method: HTTPMethod {
        storage.bytes.withUnsafeReadableBytes { raw in HTTPMethod.received(UnsafeRawBufferPointer(rebasing: raw.prefix(Int(methodLength)))) }
    }

    /// The request target as received: origin-form (`/path?query`), absolute-form, or `*`.
    public var target: String { storage.string(targetStart, targetLength) }

    /// Calls `body` with the request target's bytes, without copying; the pointer is valid only
    /// inside `body`.
    @inlinable public func withUnsafeTarget<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.bytes.withUnsafeReadableBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[Int(targetStart)..<Int(targetStart + targetLength)]))
        }
    }
}

extension HTTPRequestHead {
    /// Calls `body` with the bytes of the target's path: without the query, and for an
    /// absolute-form target without scheme and authority (`/` when it has no path). Scanned as
    /// bytes: this runs for every request, and creating strings costs more than routing.
    func withUnsafePath<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeTarget { target in
            var start = 0
            if target.first != UInt8(ascii: "/"), let scheme = Self.authorityStart(in: target) {
                guard let slash = target[scheme...].firstIndex(of: UInt8(ascii: "/")) else {
                    let root: StaticString = "/"
                    return try body(UnsafeRawBufferPointer(start: root.utf8Start, count: 1))
                }
                start = slash
            }
            let end = target[start...].firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? target.count
            return try body(UnsafeRawBufferPointer(rebasing: target[start..<end]))
        }
    }

    /// The index after the `://` of an absolute-form target, or nil.
    private static func authorityStart(in target: UnsafeRawBufferPointer) -> Int? {
        guard target.count >= 3 else { return nil }
        for i in 0...(target.count - 3) where target[i] == UInt8(ascii: ":") && target[i + 1] == UInt8(ascii: "/") && target[i + 2] == UInt8(ascii: "/") {
            return i + 3
        }
        return nil
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
