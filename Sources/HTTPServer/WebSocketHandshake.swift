import Bytes

/// The server's side of the WebSocket opening handshake (RFC 6455 §4.2), as a pure function of
/// the request's method, version and fields.
///
/// It takes the parts it needs rather than a request type, so any HTTP layer can call it:
///
/// ```swift
/// let handshake = WebSocketHandshake(originPolicy: .sameOrigin)
/// switch handshake.respond(method: head.method, version: (head.version.major, head.version.minor),
///                          headerValues: head.headers.values) {
/// case .success(let acceptance): // send 101 with acceptance.headers, then speak WebSocket
/// case .failure(let refusal):    // send refusal.status with refusal.headers and close
/// }
/// ```
///
/// No extension and no subprotocol is negotiated: offers of them are ignored, as the RFC lets a
/// server do, so frames must have their RSV bits clear.
public struct WebSocketHandshake: Sendable {
    /// The protocol version spoken, the only one RFC 6455 defines.
    public static let version = "13"

    /// The GUID RFC 6455 §1.3 appends to the key before hashing.
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Which origins may connect.
    public var originPolicy: WebSocketOriginPolicy

    /// A handshake that allows the origins `originPolicy` allows (by default the same origin).
    public init(originPolicy: WebSocketOriginPolicy = .sameOrigin) {
        self.originPolicy = originPolicy
    }

    /// The 101 response that completes a valid handshake.
    public struct Acceptance: Sendable, Hashable {
        /// 101 Switching Protocols.
        public let status = 101
        /// The `Sec-WebSocket-Accept` value.
        public let accept: String

        /// `Upgrade`, `Connection` and `Sec-WebSocket-Accept`, in that order.
        public var headers: [(name: String, value: String)] {
            [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept)]
        }
    }

    /// `Sec-WebSocket-Accept` for `key`: base64 of the SHA-1 of the key and the GUID (§4.2.2).
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(SHA1.digest(Array((key + guid).utf8)))
    }

    /// Checks an upgrade request and answers it.
    /// - Parameters:
    ///   - method: the request method, case-sensitive as HTTP methods are.
    ///   - version: the HTTP version; 1.1 or later.
    ///   - headerValues: the values of every field line with a name (matched case-insensitively),
    ///     in order, with surrounding whitespace removed; empty when there is none.
    public func respond(
        method: String, version: (major: Int, minor: Int), headerValues: (String) -> [String]
    ) -> Result<Acceptance, WebSocketHandshakeError> {
        guard method == "GET" else { return .failure(.init(.methodNotGet, value: method)) }
        guard version.major > 1 || (version.major == 1 && version.minor >= 1) else {
            return .failure(.init(.httpVersionTooOld, value: "\(version.major).\(version.minor)"))
        }
        let hosts = headerValues("Host")
        guard hosts.count == 1, let host = hosts.first, !host.isEmpty else { return .failure(.init(.invalidHost)) }
        guard Self.hasToken("websocket", in: headerValues("Upgrade")) else { return .failure(.init(.missingUpgrade)) }
        guard Self.hasToken("upgrade", in: headerValues("Connection")) else { return .failure(.init(.missingConnectionUpgrade)) }
        let versions = headerValues("Sec-WebSocket-Version")
        guard versions.count == 1, let clientVersion = versions.first else { return .failure(.init(.missingVersion)) }
        guard clientVersion == Self.version else { return .failure(.init(.unsupportedVersion, value: clientVersion)) }
        let keys = headerValues("Sec-WebSocket-Key")
        guard keys.count == 1, let key = keys.first, (try? Base64.decode(key))?.count == 16 else {
            return .failure(.init(.invalidKey, value: keys.first))
        }
        let origins = headerValues("Origin")
        guard origins.count <= 1, originPolicy.allows(origin: origins.first, host: host) else {
            return .failure(.init(.forbiddenOrigin, value: origins.joined(separator: ", ")))
        }
        return .success(Acceptance(accept: Self.acceptValue(forKey: key)))
    }

    /// Whether a comma-separated list in any of `values` has `token`, compared case-insensitively.
    static func hasToken(_ token: String, in values: [String]) -> Bool {
        values.contains { value in
            value.split(separator: ",").contains { element in
                element.trimmingWhitespace().lowercased() == token
            }
        }
    }
}

extension Substring {
    /// Without the spaces and tabs around it (HTTP's optional whitespace).
    fileprivate func trimmingWhitespace() -> Substring {
        let isText: (Character) -> Bool = { $0 != " " && $0 != "\t" }
        guard let start = firstIndex(where: isText), let end = lastIndex(where: isText) else { return "" }
        return self[start...end]
    }
}
