import Tracing
import Transport

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
        /// How long a batch the broker refused (nack) or could not route (return) is published
        /// again, with backoff, before its requests are answered 503. Nothing was enqueued, so a
        /// new attempt is safe; a return makes the publisher declare the route again, and a
        /// RabbitMQ 3.10 cluster nacks publishes to a quorum queue for up to about 6 s after the
        /// node leading it stops (until the queue's record names the new leader, which a leader
        /// writes on its periodic tick of 5 s). Zero answers 503 at once.
        public var refusedPublishRetry: Duration = .seconds(8)
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
        /// A request whose claim has not started this long after it arrived is answered 503 and
        /// never committed later; below the usual client timeouts (30 s and more), so the client
        /// hears it rather than giving up.
        public var requestDeadline: Duration = .seconds(10)
        /// Most requests waiting for a batch lane; more are answered 503 with `Retry-After` at once,
        /// so a hung Redis or broker cannot make requests pile up.
        public var maxWaiting = 1024

        public init() {}
    }

    private let configuration: Configuration
    private let batcher: OrderBatcher
    private let recorder: AcceptRecorder

    /// A gateway over `store` and `publisher`. `makeToken` makes the random part of claim tokens;
    /// `logger` reports why orders were answered 503; `tracer` makes the publish spans (see
    /// `MessagingSpans`); deadlines are timed by `loops`, and the gather delay and the waits
    /// between publishes the broker refused by `sleep` (returning early if cancelled), by default
    /// a sleep on `loops`.
    public init(
        store: any GatewayStore,
        publisher: any ConfirmedPublisher,
        configuration: Configuration = Configuration(),
        logger: JSONLogger? = nil,
        tracer: Tracer = .disabled,
        makeToken: @escaping @Sendable () -> String = { UUIDToken.make() },
        loops: EventLoopGroup = .shared,
        sleep: (@Sendable (Duration) async -> Void)? = nil
    ) {
        self.configuration = configuration
        recorder = AcceptRecorder(store: store, ttl: configuration.acceptedTTL, logger: logger, loops: loops)
        let sleep = sleep ?? { try? await loops.sleep(for: $0) }
        let commit = BatchCommit(store: store, publisher: publisher, configuration: configuration, recorder: recorder, logger: logger,
                                 spans: MessagingSpans(tracer: tracer), makeToken: makeToken, sleep: sleep)
        batcher = OrderBatcher(lanes: configuration.batchLanes, maxBatch: configuration.maxBatchOrders, maxWaiting: configuration.maxWaiting,
                               gatherDelay: configuration.batchGatherDelay, loops: loops, sleep: sleep, commit: commit.run)
    }

    /// Retries accept writes that failed after the broker's confirm, until cancelled; see
    /// `AcceptRecorder`. Run it for as long as the gateway serves.
    public func run() async {
        await recorder.run()
    }

    /// Requests waiting for a batch lane.
    var waitingCount: Int { batcher.waitingCount }

    /// Accept writes waiting to be retried.
    var pendingAccepts: Int { recorder.pendingCount }

    /// Handles one order submission; `received` is when the request arrived, from which its
    /// deadline counts. The current span (the request's) gets the steps of the order's batch as
    /// events, and the order's trace travels with it to the broker.
    public func submit(body: some Collection<UInt8>, idempotencyKey: String?, received: ContinuousClock.Instant = .now) async -> GatewayOutcome {
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
                return .invalidIdempotencyKey
            }
        }
        let payload = order.canonicalJSON
        let span = Span.current
        span?.setAttribute("order.id", .string(order.id))
        let submission = GatewaySubmission(order: order, payload: payload, fingerprint: IdempotencyRecord.fingerprint(of: payload),
                                           idempotencyKey: idempotencyKey, span: span)
        return await batcher.submit(submission, deadline: received + configuration.requestDeadline)
    }
}
