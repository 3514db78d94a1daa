/// What the gateway keeps in Redis for one idempotency scope (an `Idempotency-Key` or an order id),
/// stored as one string value: `inflight|<token>|<fingerprint>|<until>[|<flags>]` while a request
/// holds it, and `accepted|...` with the same fields once the broker confirmed the order.
///
/// A record is kept for the idempotency window (24 h by default) whatever became of its request:
/// the scope remembers which payload the pipeline may have seen. An in-flight record is live until
/// `until` (ms on the Redis clock: the claim time plus the in-flight TTL, which an audit can read
/// back) unless it is abandoned (flag `a`: its request gave up without knowing whether the broker
/// has the order). Past that, the record is stale: the same payload may take the scope over and be
/// published again (the processor decides an order id once), another payload is refused. A claim
/// that took a stale record over carries flag `r`: its predecessor may have published, so giving
/// the claim up abandons it rather than deleting it.
public struct IdempotencyRecord: Equatable, Sendable {
    /// Where a request stands.
    public enum State: String, Sendable {
        /// Claimed, not (yet) confirmed by the broker.
        case inFlight = "inflight"
        /// Confirmed by the broker and answered 202.
        case accepted
    }

    public var state: State
    /// Random per claim, so only the request that claimed the scope can finalise or release it.
    public var token: String
    /// Identifies the payload, to tell a retry from a different request reusing the key.
    public var fingerprint: String
    /// For a record read back from Redis: until when its claim holds (held) the scope, in ms on
    /// the Redis clock. Nil in a record the gateway is about to write (the claim script adds it
    /// from its own clock) and in records written before claims carried it.
    public var inFlightUntil: Int64?
    /// The request gave up without knowing whether the broker has the order (flag `a`).
    public var isAbandoned: Bool
    /// The claim took over a stale record whose request may have published (flag `r`).
    public var tookOver: Bool

    public init(state: State, token: String, fingerprint: String, inFlightUntil: Int64? = nil, isAbandoned: Bool = false, tookOver: Bool = false) {
        self.state = state
        self.token = token
        self.fingerprint = fingerprint
        self.inFlightUntil = inFlightUntil
        self.isAbandoned = isAbandoned
        self.tookOver = tookOver
    }

    /// Parses a stored value; nil when it is not a record this gateway wrote. An in-flight record
    /// without `until` (written by an earlier version) reads as abandoned.
    public init?(stored: String) {
        let parts = stored.split(separator: "|", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count >= 3, let state = State(rawValue: String(parts[0])) else { return nil }
        var until: Int64?
        if parts.count >= 4 {
            guard let value = Int64(parts[3]) else { return nil }
            until = value
        }
        let flags = parts.count == 5 ? parts[4] : ""
        guard flags.allSatisfy({ $0 == "a" || $0 == "r" }) else { return nil }
        self.init(state: state, token: String(parts[1]), fingerprint: String(parts[2]), inFlightUntil: until,
                  isAbandoned: flags.contains("a") || (state == .inFlight && until == nil), tookOver: flags.contains("r"))
    }

    /// Whether the scope is no longer held at `now` (ms, Redis clock): an in-flight record past its
    /// `until`, or abandoned.
    public func isStale(at now: Int64) -> Bool {
        state == .inFlight && (isAbandoned || (inFlightUntil ?? 0) <= now)
    }

    /// The value to store, without `until`: the claim script appends it.
    public var stored: String { "\(state.rawValue)|\(token)|\(fingerprint)" }

    /// What every record this claim wrote starts with, whatever its `until`: scripts compare it to
    /// tell the claim's own records from those written since.
    public var claimPrefix: String { "\(State.inFlight.rawValue)|\(token)|" }

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
