/// Where a server listens, parsed from a URL such as `redis://127.0.0.1:6379` or
/// `amqp://guest:guest@127.0.0.1:5672/`.
///
/// The form is `scheme://[user[:password]@]host[:port][/path]`; an IPv6 host is written in
/// brackets (`redis://[::1]:6379`). User, password and path are percent-decoded.
public struct ServerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The URL this endpoint was parsed from.
    public var url: String
    /// The scheme, lowercased, such as `redis` or `amqp`.
    public var scheme: String
    /// The host name or address, without IPv6 brackets.
    public var host: String
    /// The TCP port: the one in the URL, else the default given to the parser.
    public var port: Int
    /// The user name, if the URL has one.
    public var user: String?
    /// The password, if the URL has one.
    public var password: String?
    /// The path after the first `/` (the AMQP virtual host, the Redis database), nil when empty.
    public var path: String?

    /// Parses `url`, using `defaultPort` when it names none.
    public init(url: String, defaultPort: Int) throws(ServerEndpointError) {
        guard let schemeEnd = url.range(of: "://") else { throw .missingScheme(url) }
        self.url = url
        scheme = url[..<schemeEnd.lowerBound].lowercased()
        var rest = url[schemeEnd.upperBound...]
        let pathStart = rest.firstIndex(of: "/")
        let authority = pathStart.map { rest[..<$0] } ?? rest
        if let pathStart {
            let raw = rest[rest.index(after: pathStart)...]
            path = raw.isEmpty ? nil : try Self.percentDecoded(raw, in: url)
        }
        rest = authority
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.percentDecoded(userInfo[..<colon], in: url)
                password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], in: url)
            } else {
                user = try Self.percentDecoded(userInfo, in: url)
            }
            rest = rest[rest.index(after: at)...]
        }
        let portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidHost(url) }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let afterHost = rest[rest.index(after: close)...]
            if afterHost.isEmpty {
                portText = nil
            } else if afterHost.hasPrefix(":") {
                portText = afterHost.dropFirst()
            } else {
                throw .invalidHost(url)
            }
        } else if let colon = rest.firstIndex(of: ":") {
            host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else {
            host = String(rest)
            portText = nil
        }
        guard !host.isEmpty else { throw .invalidHost(url) }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else { throw .invalidPort(url) }
            self.port = port
        } else {
            port = defaultPort
        }
    }

    public var description: String { url }

    private static func percentDecoded(_ text: Substring, in url: String) throws(ServerEndpointError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw .invalidPercentEncoding(url)
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why a server URL could not be parsed; each case carries the URL.
public enum ServerEndpointError: Error, Equatable, CustomStringConvertible {
    /// The URL has no `scheme://` prefix.
    case missingScheme(String)
    /// The host is empty or an IPv6 bracket is not closed.
    case invalidHost(String)
    /// The port is not a number from 1 to 65535.
    case invalidPort(String)
    /// A `%` is not followed by two hexadecimal digits.
    case invalidPercentEncoding(String)

    public var description: String {
        switch self {
        case .missingScheme(let url): "server URL '\(url)' has no scheme:// prefix"
        case .invalidHost(let url): "server URL '\(url)' has no valid host"
        case .invalidPort(let url): "server URL '\(url)' has a port outside 1...65535"
        case .invalidPercentEncoding(let url): "server URL '\(url)' has a % not followed by two hex digits"
        }
    }
}
