/// What the gateway keeps in Redis for one idempotency scope (an `Idempotency-Key` or an order id),
/// stored as one string value: `<state>|<token>|<fingerprint>`.
public struct IdempotencyRecord: Equatable, Sendable {
    /// Where a request stands.
    public enum State: String, Sendable {
        /// Claimed, not yet confirmed by the broker; kept only briefly so a crash cannot block a retry for long.
        case inFlight = "inflight"
        /// Confirmed by the broker and answered 202; kept for the replay window (24 h by default).
        case accepted
    }

    public var state: State
    /// Random per claim, so only the request that claimed the scope can finalise or release it.
    public var token: String
    /// Identifies the payload, to tell a retry from a different request reusing the key.
    public var fingerprint: String

    public init(state: State, token: String, fingerprint: String) {
        self.state = state
        self.token = token
        self.fingerprint = fingerprint
    }

    /// Parses a stored value; nil when it is not a record this gateway wrote.
    public init?(stored: String) {
        let parts = stored.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let state = State(rawValue: String(parts[0])) else { return nil }
        self.init(state: state, token: String(parts[1]), fingerprint: String(parts[2]))
    }

    /// The value to store.
    public var stored: String { "\(state.rawValue)|\(token)|\(fingerprint)" }

    /// A stable 64-bit FNV-1a digest of a payload, in hex. Not cryptographic: it only has to tell
    /// a client's retry from a different payload sent under the same key by the same client.
    public static func fingerprint(of payload: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in payload {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The gateway's answer to a request whose claim found this record already present.
    ///
    /// Keyed by order id (no header) any existing record is the seed's "Duplicate order". Keyed by
    /// an `Idempotency-Key` the IETF draft's rules apply: another payload is a 422, a request still
    /// in flight a 409, and a retry of an accepted request gets the original 202 again.
    public func answer(toFingerprint fingerprint: String, keyedByHeader: Bool, orderID: String) -> GatewayOutcome {
        guard keyedByHeader else { return .duplicate }
        guard fingerprint == self.fingerprint else { return .payloadMismatch }
        switch state {
        case .inFlight: return .inFlight
        case .accepted: return .accepted(orderID: orderID, replayed: true)
        }
    }
}
