/// The gateway's handling of `POST /orders`: validate, claim the idempotency scope, publish with
/// confirms, and answer 202 only once the broker has the order.
public struct OrderGateway: Sendable {
    /// Tunables, all with the documented defaults.
    public struct Configuration: Sendable {
        /// How long an unconfirmed claim blocks retries; short, so a crash between claim and publish
        /// cannot block an order for long.
        public var inFlightTTL: Duration = .seconds(30)
        /// How long an accepted request is remembered (the replay and duplicate window).
        public var acceptedTTL: Duration = .seconds(24 * 3600)
        /// How long to wait for the broker's confirm before answering 503.
        public var confirmTimeout: Duration = .seconds(5)
        /// Routing key for `orders.direct`.
        public var routingKey = "orders"
        /// Longest accepted `Idempotency-Key`, in UTF-8 bytes.
        public var maxIdempotencyKeyBytes = 255
        public var limits = OrderLimits()

        public init() {}
    }

    private let store: any GatewayStore
    private let publisher: any ConfirmedPublisher
    private let configuration: Configuration
    private let makeToken: @Sendable () -> String

    public init(
        store: any GatewayStore,
        publisher: any ConfirmedPublisher,
        configuration: Configuration = Configuration(),
        makeToken: @escaping @Sendable () -> String = { UUIDToken.make() }
    ) {
        self.store = store
        self.publisher = publisher
        self.configuration = configuration
        self.makeToken = makeToken
    }

    /// Handles one order submission.
    public func submit(body: some Collection<UInt8>, idempotencyKey: String?) async -> GatewayOutcome {
        let order: Order
        do {
            order = try Order.parse(json: body, limits: configuration.limits)
        } catch {
            switch error {
            case .invalidJSON: return .invalidJSON
            case .invalidField(let field): return .invalidFields(field: field)
            }
        }
        if let idempotencyKey {
            let bytes = idempotencyKey.utf8
            guard !bytes.isEmpty, bytes.count <= configuration.maxIdempotencyKeyBytes,
                  !bytes.contains(where: { $0 < 0x21 || $0 == 0x7F }) else {
                return .invalidFields(field: "Idempotency-Key")
            }
        }
        let payload = order.canonicalJSON
        let scope = idempotencyKey.map { "idem:key:\($0)" } ?? "idem:order:\(order.id)"
        let fingerprint = IdempotencyRecord.fingerprint(of: payload)
        let claim = IdempotencyRecord(state: .inFlight, token: makeToken(), fingerprint: fingerprint)
        do {
            if let existing = try await store.claim(scope, record: claim, ttl: configuration.inFlightTTL) {
                return existing.answer(toFingerprint: fingerprint, keyedByHeader: idempotencyKey != nil, orderID: order.id)
            }
        } catch {
            return .unavailable(reason: "redis: \(error)")
        }
        let outcome: PublishOutcome
        do {
            outcome = try await publisher.publish(payload, routingKey: configuration.routingKey, messageID: order.id, timeout: configuration.confirmTimeout)
        } catch {
            try? await store.release(scope, claimed: claim)
            return .unavailable(reason: "broker: \(error)")
        }
        guard outcome == .confirmed else {
            // A timed-out publish may still reach the queue; releasing lets the client retry, and the
            // processor's per-order decision keeps a second copy from having a second effect.
            try? await store.release(scope, claimed: claim)
            return .unavailable(reason: "publish \(outcome)")
        }
        var accepted = claim
        accepted.state = .accepted
        // The broker has the order whatever happens now; if this write fails the claim just expires.
        try? await store.accept(scope, orderID: order.id, claimed: claim, accepted: accepted, ttl: configuration.acceptedTTL)
        return .accepted(orderID: order.id, replayed: false)
    }
}
