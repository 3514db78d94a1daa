/// The gateway's handling of `POST /orders`: validate, claim the idempotency scope, publish with
/// confirms, and answer 202 only once the broker has the order. Requests arriving together are
/// committed together (`OrderBatcher`): one claim, one broker message, one accept per batch.
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
        /// Bounds on the fields of an order.
        public var limits = OrderLimits()
        /// Batches committed at once; more lanes lower the wait under moderate load, fewer make
        /// bigger batches under heavy load.
        public var batchLanes = 2
        /// Most orders in one batch (one broker message).
        public var maxBatchOrders = 256
        /// How long a batch waits for more requests before its claim when another batch is being
        /// committed (see `OrderBatcher`); a request arriving at an idle gateway never waits.
        public var batchGatherDelay: Duration = .microseconds(300)

        public init() {}
    }

    private let configuration: Configuration
    private let batcher: OrderBatcher

    /// A gateway over `store` and `publisher`. `makeToken` makes the random part of claim tokens;
    /// `logger` reports why orders were answered 503; `sleep` waits the gather delay (returning
    /// early if cancelled), by default with `Task.sleep`.
    public init(
        store: any GatewayStore,
        publisher: any ConfirmedPublisher,
        configuration: Configuration = Configuration(),
        logger: JSONLogger? = nil,
        makeToken: @escaping @Sendable () -> String = { UUIDToken.make() },
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) {
        self.configuration = configuration
        let commit = BatchCommit(store: store, publisher: publisher, configuration: configuration, logger: logger, makeToken: makeToken)
        batcher = OrderBatcher(lanes: configuration.batchLanes, maxBatch: configuration.maxBatchOrders, gatherDelay: configuration.batchGatherDelay,
                               sleep: sleep, commit: commit.run)
    }

    /// Requests waiting for a batch lane.
    var waitingCount: Int { batcher.waitingCount }

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
        return await batcher.submit(GatewaySubmission(order: order, payload: payload, fingerprint: IdempotencyRecord.fingerprint(of: payload), idempotencyKey: idempotencyKey))
    }
}

/// Commits one batch: claim every request's scopes, publish the claimed orders as one confirmed
/// message, then mark them accepted; on any failure the claims are released and those requests
/// answered 503.
private struct BatchCommit: Sendable {
    let store: any GatewayStore
    let publisher: any ConfirmedPublisher
    let configuration: OrderGateway.Configuration
    let logger: JSONLogger?
    let makeToken: @Sendable () -> String

    func run(_ batch: [GatewaySubmission]) async -> [GatewayOutcome] {
        // A blocked broker reads no publishes: the batch could only wait out its confirm
        // timeout, so it is answered at once, before anything is claimed.
        if let reason = publisher.blockedReason { return unavailable(batch.count, "broker blocked: \(reason)", nil) }
        let token = makeToken()
        let claims = batch.indices.map { index in
            let submission = batch[index]
            return IdempotencyClaim(
                scope: submission.idempotencyKey.map { PipelineKeys.idempotency(key: $0) } ?? PipelineKeys.idempotency(orderID: submission.order.id),
                orderID: submission.order.id,
                record: IdempotencyRecord(state: .inFlight, token: "\(token).\(index)", fingerprint: submission.fingerprint))
        }
        let claimedAt = ContinuousClock.now
        let results: [ClaimResult]
        do {
            results = try await store.claim(claims, ttl: configuration.inFlightTTL)
        } catch {
            // The script may have run with only its reply lost: give back whatever it claimed
            // (compare-and-delete touches nothing else), so the 503 holds true that a retry is safe.
            try? await store.release(claims)
            return unavailable(batch.count, "redis unavailable", error)
        }
        var outcomes = [GatewayOutcome?](repeating: nil, count: batch.count)
        var claimed: [Int] = []
        for (index, result) in results.enumerated() {
            let submission = batch[index]
            switch result {
            case .claimed: claimed.append(index)
            case .orderTaken: outcomes[index] = .duplicate
            case .existing(let record):
                outcomes[index] = record.answer(toFingerprint: submission.fingerprint, keyedByHeader: submission.idempotencyKey != nil, orderID: submission.order.id)
            }
        }
        if !claimed.isEmpty {
            let accepted = await publish(claimed.map { batch[$0] }, claims: claimed.map { claims[$0] }, token: token, claimedAt: claimedAt)
            for (index, outcome) in zip(claimed, accepted) { outcomes[index] = outcome }
        }
        return outcomes.map { $0! }
    }

    /// Publishes the claimed orders as one message; on success marks them accepted.
    private func publish(_ submissions: [GatewaySubmission], claims: [IdempotencyClaim], token: String, claimedAt: ContinuousClock.Instant) async -> [GatewayOutcome] {
        let body = MessageBatch.body(submissions.map(\.payload))
        let messageID = submissions.count == 1 ? submissions[0].order.id : "batch-\(token)"
        let outcome: PublishOutcome
        do {
            outcome = try await publisher.publish(body, routingKey: configuration.routingKey, messageID: messageID, timeout: configuration.confirmTimeout)
        } catch {
            try? await store.release(claims)
            return unavailable(submissions.count, "broker unavailable", error)
        }
        guard outcome == .confirmed else {
            // A timed-out publish may still reach the queue; releasing lets the clients retry, and
            // the processor's per-order decision keeps a second copy from having a second effect.
            try? await store.release(claims)
            return unavailable(submissions.count, outcome == .timedOut ? "broker confirm timed out" : "order \(outcome)", nil)
        }
        await recordAccepted(claims, claimedAt: claimedAt)
        return submissions.map { .accepted(orderID: $0.order.id, replayed: false) }
    }

    /// Marks the claims accepted, retrying a failing Redis while the in-flight claims still hold
    /// (up to half their TTL after the claim): once they lapse, a retry of the request could be
    /// accepted a second time instead of being answered as a replay or a duplicate. The broker has
    /// the orders whatever happens here, so the answer is 202 either way.
    private func recordAccepted(_ claims: [IdempotencyClaim], claimedAt: ContinuousClock.Instant) async {
        let failure = await retrying(until: claimedAt + configuration.inFlightTTL / 2) {
            try await store.accept(claims, ttl: configuration.acceptedTTL)
        }
        if let failure {
            logger?.warning("accepted orders not recorded; their claims will lapse", ["orders": String(claims.count), "error": "\(failure)"])
        }
    }

    private func unavailable(_ count: Int, _ reason: String, _ error: (any Error)?) -> [GatewayOutcome] {
        logger?.warning("orders answered 503", ["orders": String(count), "reason": reason, "error": error.map { "\($0)" } ?? ""])
        return Array(repeating: .unavailable(reason: reason), count: count)
    }
}
