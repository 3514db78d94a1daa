/// Where an `http://` URL points: host, port and the origin-form target.
public struct HTTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address, without IPv6 brackets.
    public let host: String
    public let port: Int
    /// Path and query, starting with `/`.
    public let target: String

    /// Parses `http://host[:port][/path][?query]` (IPv6 hosts in brackets, port 80 by default).
    /// - Throws: `HTTPClientError.invalidURL` for anything else, `https` included (this client
    ///   has no TLS), user information and fragments.
    public init(url: String) throws(HTTPClientError) {
        guard url.lowercased().hasPrefix("http://") else { throw .invalidURL(url, "only http:// URLs are supported") }
        let rest = url.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        guard !target.contains("#") else { throw .invalidURL(url, "a fragment is not sent") }
        guard !authority.contains("@") else { throw .invalidURL(url, "user information is not supported") }
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .invalidURL(url, "the path has spaces, controls or non-ASCII bytes") }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(url, "unclosed IPv6 bracket") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL(url, "junk after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .invalidURL(url, "no host") }
        var port = 80
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isASCII) else { throw .invalidURL(url, "port outside 1...65535") }
            port = value
        }
        self.host = String(host)
        self.port = port
        self.target = target
    }

    /// The Host field value: the host (bracketed when IPv6) and the port unless it is 80.
    public var hostHeader: String { Self.hostHeader(host: host, port: port) }

    public var description: String { "http://\(hostHeader)\(target)" }
}
