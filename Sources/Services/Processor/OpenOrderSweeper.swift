import Transport

/// Decides again the orders left open too long: accepted (answered 202) and still not notified
/// after `age`. RabbitMQ confirms a message routed to a queue that is deleted before the queue
/// takes it, and deleting a queue drops the messages in it, so a confirmed order or event can be
/// lost without any service failing. The sweeper finds such orders in Redis and hands their
/// payloads to the processor, whose decision is idempotent (an order decided before gets that
/// decision back) and which publishes the events again; the notifier sends each notification
/// once whatever number of events it gets.
///
/// A round runs only while the pipeline's queues have no messages waiting (`isQuiet`): an
/// order in a backlog is late, not lost, and deciding it twice would only double the work.
/// Each order is swept at most `maxSweeps` times, `age` apart; after that it leaves the open
/// orders with an error in the log, its payload kept on its hash for an operator.
public struct OpenOrderSweeper: Sendable {
    /// How the sweeper is tuned.
    public struct Configuration: Sendable {
        /// How long an order may stay open before it is decided again.
        public var age: Duration = .seconds(30)
        /// Time between rounds.
        public var interval: Duration = .seconds(5)
        /// Orders decided together, as one message.
        public var batch = 64
        /// Orders a round takes per shard at most, so one round stays short.
        public var perRound = 1_024
        /// Times one order is decided again at most.
        public var maxSweeps = 5

        public init() {}
    }

    private let store: any OpenOrderStore
    private let processor: OrderProcessor
    private let configuration: Configuration
    private let isQuiet: @Sendable () async -> Bool
    private let metrics: ServiceMetrics?
    private let logger: JSONLogger?

    /// `isQuiet` says whether the queues the orders pass through have no messages waiting.
    public init(store: any OpenOrderStore, processor: OrderProcessor, configuration: Configuration = Configuration(), metrics: ServiceMetrics? = nil,
                logger: JSONLogger? = nil, isQuiet: @escaping @Sendable () async -> Bool) {
        self.store = store
        self.processor = processor
        self.configuration = configuration
        self.isQuiet = isQuiet
        self.metrics = metrics
        self.logger = logger
    }

    /// Sweeps every `interval` until `stop` is raised.
    func run(until stop: StopSignal, loops: EventLoopGroup) async {
        while true {
            await stop.sleep(for: configuration.interval, on: loops)
            if stop.isRaised { return }
            await sweep()
        }
    }

    /// One round over every shard, when the queues are quiet; returns how many orders it handed
    /// to the processor.
    @discardableResult
    public func sweep() async -> Int {
        guard await isQuiet() else { return 0 }
        var decided = 0
        for shard in 0..<store.shardCount {
            // One take per shard and round: what it takes is scored anew, so a second take could
            // find the same orders again once `age` has passed.
            let round: OpenOrderRound
            do {
                round = try await store.takeOpenOrders(shard: shard, openFor: configuration.age, limit: configuration.perRound, maxSweeps: configuration.maxSweeps)
            } catch {
                logger?.warning("could not read the open orders", ["shard": .int(shard), "error": "\(error)"])
                continue
            }
            report(round)
            for start in stride(from: 0, to: round.due.count, by: configuration.batch) {
                await decide(Array(round.due[start..<min(start + configuration.batch, round.due.count)]))
            }
            decided += round.due.count
        }
        return decided
    }

    private func decide(_ due: [(id: String, payload: [UInt8])]) async {
        let action = await processor.handle(InboundMessage(body: MessageBatch.body(due.map(\.payload)), messageID: "sweep-\(due[0].id)"))
        metrics?.increment("open_orders_swept_total", [("outcome", action.name)], by: Double(due.count))
        var fields: LogFields = ["orders": .int(due.count), "first_order_id": .string(due[0].id), "outcome": .string(action.name)]
        if let reason = action.reason { fields["reason"] = .string(reason) }
        logger?.warning("orders open too long decided again", fields)
    }

    private func report(_ round: OpenOrderRound) {
        if !round.notified.isEmpty { metrics?.increment("open_orders_closed_total", [("reason", "notified")], by: Double(round.notified.count)) }
        for id in round.unrecoverable {
            metrics?.increment("open_orders_closed_total", [("reason", "no_payload")])
            logger?.error("order open too long has no payload to decide it from; left as it is", ["order_id": .string(id)])
        }
        for id in round.abandoned {
            metrics?.increment("open_orders_closed_total", [("reason", "swept_too_often")])
            logger?.error("order still not notified after every sweep; left to an operator (its payload stays on its hash)", [
                "order_id": .string(id), "sweeps": .int(configuration.maxSweeps),
            ])
        }
    }
}

private extension DeliveryAction {
    var name: String {
        switch self {
        case .ack: "decided"
        case .deadLetter: "dead_letter"
        case .retry: "retry"
        case .hold: "held"
        }
    }

    var reason: String? {
        switch self {
        case .ack: nil
        case .deadLetter(let reason, _), .retry(_, let reason), .hold(let reason): reason
        }
    }
}
