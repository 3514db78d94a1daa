/// Which pages may open a WebSocket to the server, judged by the handshake's `Origin` field
/// (RFC 6455 §10.2), so that a page on another site cannot read what the socket carries.
///
/// Browsers always send `Origin` with a WebSocket handshake and scripts cannot forge it; other
/// clients may leave it out, and could write any value anyway, so a handshake without `Origin`
/// is allowed: the check protects browser users, it does not authenticate.
public struct WebSocketOriginPolicy: Sendable, Hashable {
    /// Whether an origin whose host and port are the request's `Host` is allowed.
    public var allowsSameOrigin: Bool
    /// Further allowed origins, as `scheme://host[:port]`, normalised (lower case, no default port).
    public private(set) var allowedOrigins: Set<String>
    /// Whether every origin is allowed.
    public var allowsAnyOrigin: Bool

    /// Allows the same origin (unless `allowsSameOrigin` is false) and the listed ones, given as
    /// browsers write them (`https://dash.example.com`, `http://localhost:8081`).
    public init(allowedOrigins: [String] = [], allowsSameOrigin: Bool = true) {
        self.allowsSameOrigin = allowsSameOrigin
        self.allowedOrigins = Set(allowedOrigins.compactMap { Origin(parsing: $0)?.serialized })
        allowsAnyOrigin = false
    }

    /// Only pages served by this server itself: the default.
    public static let sameOrigin = WebSocketOriginPolicy()

    /// Any page at all, for servers whose sockets carry nothing private.
    public static let anyOrigin: WebSocketOriginPolicy = {
        var policy = WebSocketOriginPolicy()
        policy.allowsAnyOrigin = true
        return policy
    }()

    /// Whether a handshake with `origin` (nil when absent) to `host` (the `Host` field) is allowed.
    public func allows(origin: String?, host: String) -> Bool {
        guard let origin else { return true }
        if allowsAnyOrigin { return true }
        guard let parsed = Origin(parsing: origin) else { return false }
        if allowedOrigins.contains(parsed.serialized) { return true }
        return allowsSameOrigin && parsed.isSameHost(as: host)
    }

    /// A tuple origin (RFC 6454): scheme, host and port; the opaque `null` does not parse.
    struct Origin: Hashable {
        var scheme: String
        var host: String
        var port: Int

        init?(parsing text: String) {
            guard let separator = text.range(of: "://") else { return nil }
            scheme = text[..<separator.lowerBound].lowercased()
            guard let defaultPort = Self.defaultPorts[scheme],
                  let (host, port) = Self.splitAuthority(text[separator.upperBound...]) else { return nil }
            self.host = host
            self.port = port ?? defaultPort
        }

        static let defaultPorts = ["http": 80, "ws": 80, "https": 443, "wss": 443]

        /// `scheme://host[:port]`, the port left out when it is the scheme's default.
        var serialized: String {
            port == Self.defaultPorts[scheme] ? "\(scheme)://\(host)" : "\(scheme)://\(host):\(port)"
        }

        /// Whether the `Host` field names this origin's host and port (its port defaulting to
        /// the origin scheme's: the server cannot see whether a proxy in front terminated TLS).
        func isSameHost(as hostField: String) -> Bool {
            guard let (host, port) = Self.splitAuthority(Substring(hostField)) else { return false }
            return host == self.host && (port ?? Self.defaultPorts[scheme]) == self.port
        }

        /// `host[:port]` with the host lower-cased; an IPv6 literal keeps its brackets. Nil for
        /// anything else (a path, user info, an empty host or a port that is not a number).
        static func splitAuthority(_ text: Substring) -> (host: String, port: Int?)? {
            let hostEnd: String.Index
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]") else { return nil }
                hostEnd = text.index(after: close)
            } else {
                hostEnd = text.firstIndex(of: ":") ?? text.endIndex
            }
            let host = text[..<hostEnd].lowercased()
            guard !host.isEmpty, !host.contains(where: { "/?#@ \t".contains($0) }) else { return nil }
            guard hostEnd < text.endIndex else { return (host, nil) }
            let portText = text[text.index(after: hostEnd)...]
            guard text[hostEnd] == ":", !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit),
                  let port = Int(portText), port <= 65535 else { return nil }
            return (host, port)
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
