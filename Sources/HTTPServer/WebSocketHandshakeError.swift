/// Why a WebSocket upgrade request was refused, and the response that says so.
///
/// A struct with a `code`, like `WebSocketError`, so new reasons do not break callers that
/// switch over them. `status` is 400 for a malformed upgrade, 403 for an origin the policy does
/// not allow, and 426 for a `Sec-WebSocket-Version` other than 13, whose response names the
/// version the server speaks (RFC 6455 §4.2.2).
public struct WebSocketHandshakeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong with the request.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case methodNotGet, httpVersionTooOld, invalidHost, missingUpgrade, missingConnectionUpgrade
            case missingVersion, unsupportedVersion, invalidKey, forbiddenOrigin
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The method is not GET.
        public static let methodNotGet = Code(.methodNotGet)
        /// The request is older than HTTP/1.1.
        public static let httpVersionTooOld = Code(.httpVersionTooOld)
        /// No `Host` field, or more than one.
        public static let invalidHost = Code(.invalidHost)
        /// No `Upgrade` field with the token `websocket`.
        public static let missingUpgrade = Code(.missingUpgrade)
        /// No `Connection` field with the token `Upgrade`.
        public static let missingConnectionUpgrade = Code(.missingConnectionUpgrade)
        /// No `Sec-WebSocket-Version` field, or more than one.
        public static let missingVersion = Code(.missingVersion)
        /// A `Sec-WebSocket-Version` other than 13.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// No `Sec-WebSocket-Key`, more than one, or one that is not base64 of 16 bytes.
        public static let invalidKey = Code(.invalidKey)
        /// An `Origin` the server's policy does not allow.
        public static let forbiddenOrigin = Code(.forbiddenOrigin)

        public var description: String { base.rawValue }

        /// Lets a `catch` clause match on a code.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? WebSocketHandshakeError)?.code == code
        }
    }

    /// What was wrong.
    public let code: Code
    /// The offending value, where there was one (the method, the version, the origin, the key).
    public let value: String?

    init(_ code: Code, value: String? = nil) {
        self.code = code
        self.value = value
    }

    /// The status of the refusal.
    public var status: Int {
        switch code {
        case .forbiddenOrigin: 403
        case .unsupportedVersion: 426
        default: 400
        }
    }

    /// Fields the refusal must carry: for 426, the protocol and version to upgrade to (RFC 9110
    /// §15.5.22 asks for `Upgrade`, which in turn needs the `upgrade` connection option).
    public var headers: [(name: String, value: String)] {
        guard code == .unsupportedVersion else { return [] }
        return [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", WebSocketHandshake.version)]
    }

    /// A short explanation for the response body and logs.
    public var message: String {
        switch code {
        case .methodNotGet: "WebSocket upgrade must be GET"
        case .httpVersionTooOld: "WebSocket upgrade needs HTTP/1.1"
        case .invalidHost: "WebSocket upgrade needs one Host"
        case .missingUpgrade: "missing Upgrade: websocket"
        case .missingConnectionUpgrade: "missing Connection: Upgrade"
        case .missingVersion: "missing Sec-WebSocket-Version"
        case .unsupportedVersion: "unsupported Sec-WebSocket-Version"
        case .invalidKey: "invalid Sec-WebSocket-Key"
        case .forbiddenOrigin: "origin not allowed"
        default: code.description
        }
    }

    public var description: String { "\(status) \(message)" + (value.map { ": \($0)" } ?? "") }
}
