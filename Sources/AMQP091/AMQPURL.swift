import Bytes

/// Where and as whom to connect: `amqp://user:password@host:port/vhost`.
///
/// User, password, host and vhost are percent-decoded; a missing part takes its default (guest,
/// guest, localhost, 5672, "/"). Unlike RabbitMQ's URI spec, an empty path (`amqp://host/`) also
/// means "/", as the common `amqp://guest:guest@localhost:5672/` intends; `%2F` spells "/" too.
public struct AMQPURL: Sendable, Hashable {
    /// The broker's host name or address (an IPv6 literal without brackets).
    public var host: String
    /// The broker's TCP port.
    public var port: Int
    /// The user name for PLAIN authentication.
    public var user: String
    /// The password for PLAIN authentication.
    public var password: String
    /// The virtual host to open, "/" by default.
    public var virtualHost: String

    /// A URL from its parts; the defaults are RabbitMQ's out of the box.
    public init(host: String = "localhost", port: Int = AMQPProtocol.port, user: String = "guest", password: String = "guest", virtualHost: String = "/") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
    }

    /// Why a URL could not be parsed: a code, and the part that is wrong (or where).
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Which part is wrong.
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Hashable, Sendable { case unsupportedScheme, invalidPort, invalidPercentEncoding, invalidHost }
            private let base: Base
            private init(_ base: Base) { self.base = base }

            /// Only `amqp` is supported (no TLS, so no `amqps`).
            public static let unsupportedScheme = Code(.unsupportedScheme)
            /// The port is not a number in 1...65535.
            public static let invalidPort = Code(.invalidPort)
            /// A `%` not followed by two hex digits, or escapes that are not UTF-8.
            public static let invalidPercentEncoding = Code(.invalidPercentEncoding)
            /// An IPv6 literal without its closing bracket, or with text after it.
            public static let invalidHost = Code(.invalidHost)

            public var description: String { base.rawValue }
        }

        public let code: Code
        /// The offending part of the input (the scheme, port or host text, never a password); empty
        /// for bad escapes.
        public let text: String
        /// Where a bad escape starts, in UTF-8 bytes of the input.
        public let offset: Int?

        private init(_ code: Code, text: String, offset: Int? = nil) {
            self.code = code
            self.text = text
            self.offset = offset
        }

        public static func unsupportedScheme(_ scheme: String) -> ParseError { ParseError(.unsupportedScheme, text: scheme) }
        public static func invalidPort(_ port: String) -> ParseError { ParseError(.invalidPort, text: port) }
        public static func invalidPercentEncoding(offset: Int) -> ParseError { ParseError(.invalidPercentEncoding, text: "", offset: offset) }
        public static func invalidHost(_ host: String) -> ParseError { ParseError(.invalidHost, text: host) }

        public var description: String {
            switch code {
            case .unsupportedScheme: "unsupported scheme '\(text)' (only amqp)"
            case .invalidPort: "invalid port '\(text)'"
            case .invalidPercentEncoding: "invalid percent-encoding at offset \(offset ?? 0)"
            default: "invalid host '\(text)'"
            }
        }
    }

    /// Parses `amqp://[user[:password]@]host[:port][/vhost]`, as the type describes.
    ///
    /// - Throws: `ParseError` saying which part is wrong (and, for bad escapes, where).
    public init(parsing text: String) throws(ParseError) {
        self.init()
        // Without "://" the whole text is quoted, so its password is masked.
        guard let schemeEnd = text.firstRange(of: "://") else { throw .unsupportedScheme(URLCredentials.redacted(text)) }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "amqp" else { throw .unsupportedScheme(scheme) }
        var rest = text[schemeEnd.upperBound...]
        var pathPart: Substring?
        if let slash = rest.firstIndex(of: "/") {
            pathPart = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.percentDecoded(userInfo[..<colon], in: text)
                password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], in: text)
            } else {
                user = try Self.percentDecoded(userInfo, in: text)
            }
        }
        var hostPart = rest
        if rest.hasPrefix("[") {
            // An IPv6 literal: [::1] or [::1]:5672.
            guard let close = rest.firstIndex(of: "]") else { throw .invalidHost(String(rest)) }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidHost(String(rest)) }
                port = try Self.port(after.dropFirst())
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            port = try Self.port(rest[rest.index(after: colon)...])
        }
        if !hostPart.isEmpty { host = try Self.percentDecoded(hostPart, in: text) }
        if let pathPart, !pathPart.isEmpty { virtualHost = try Self.percentDecoded(pathPart, in: text) }
    }

    private static func port(_ text: Substring) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw .invalidPort(String(text)) }
        return port
    }

    private static func percentDecoded(_ part: Substring, in text: String) throws(ParseError) -> String {
        do {
            return try PercentEncoding.decode(part)
        } catch {
            throw .invalidPercentEncoding(offset: text.utf8.distance(from: text.utf8.startIndex, to: part.startIndex) + error.offset)
        }
    }

}
