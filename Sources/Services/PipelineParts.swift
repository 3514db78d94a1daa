import AMQP091
import HTTPServer
import RESP
import Synchronization
import Transport

/// The services' components, built once and reattached to each new broker connection.
final class Parts: Sendable {
    let roles: [ServiceRole]
    let configuration: ServiceConfiguration
    let store: RedisPipelineStore
    let logger: JSONLogger
    let metrics: ServiceMetrics
    let orders = AMQPConfirmedPublisher(exchange: PipelineTopology.ordersExchange, mandatory: true)
    let events = AMQPConfirmedPublisher(exchange: PipelineTopology.eventsExchange, mandatory: false)
    /// The consumers on each broker (by its index in the URL list), replaced on reconnection to
    /// that broker, stopped on shutdown; once stopping, a reconnection starts none.
    private let consumers = Mutex<(loops: [Int: [DeliveryLoop]], stopping: Bool)>(([:], false))
    /// One of each for the process, shared by the consumers of every broker, so limits such as
    /// the notifier's sending slots hold for the process as a whole.
    private let processor: OrderProcessor
    private let notifier: OrderNotifier

    init(roles: [ServiceRole], configuration: ServiceConfiguration, store: RedisPipelineStore, logger: JSONLogger, sender: (any NotificationSender)?) {
        self.roles = roles
        self.configuration = configuration
        self.store = store
        self.logger = logger
        metrics = ServiceMetrics(service: roles.map(\.rawValue).joined(separator: "+"))
        processor = OrderProcessor(store: store, events: events)
        notifier = OrderNotifier(store: store, sender: sender ?? LoggingSender(logger: logger, latency: .milliseconds(configuration.notifyLatencyMilliseconds)),
                                 lease: .seconds(configuration.notificationLeaseSeconds),
                                 sendTimeout: .seconds(configuration.notificationLeaseSeconds) / 2, concurrency: configuration.notifyConcurrency)
    }

    /// Whether this process consumes queues (and so keeps a connection to every broker).
    var consumes: Bool { roles.contains(.processor) || roles.contains(.notifier) }

    /// Opens this process's publishing channels on a new connection of the publishing link.
    @Sendable func setupPublishing(_ connection: AMQPConnection) async throws {
        if roles.contains(.gateway) { try await orders.install(on: connection) }
        if roles.contains(.processor) { try await events.install(on: connection) }
    }

    /// Starts this process's consumers on a new connection to broker `broker`. Every broker is
    /// consumed: the brokers are independent, so orders published to one while another was down
    /// are drained wherever they are.
    func setupConsuming(_ connection: AMQPConnection, broker: Int) async throws {
        guard !consumers.withLock({ $0.stopping }) else { return }
        var started: [DeliveryLoop] = []
        if roles.contains(.processor) {
            started.append(try await DeliveryLoop.start(queue: PipelineTopology.ordersQueue, prefetch: configuration.prefetch, on: connection,
                                                        metrics: metrics, logger: logger, handler: processor.handle))
        }
        if roles.contains(.notifier) {
            started.append(try await DeliveryLoop.start(queue: PipelineTopology.notifierQueue, prefetch: configuration.prefetch, on: connection,
                                                        metrics: metrics, logger: logger, handler: notifier.handle))
        }
        let late = consumers.withLock { consumers -> Bool in
            if !consumers.stopping { consumers.loops[broker] = started }
            return consumers.stopping
        }
        // Shutdown began while these were starting: `stopConsumers` did not see them.
        if late { await Self.stop(started) }
    }

    /// Cancels the consumers of every broker at once and waits for the deliveries under way to
    /// be settled.
    func stopConsumers() async {
        let loops = consumers.withLock { consumers in
            consumers.stopping = true
            return consumers.loops.values.flatMap { $0 }
        }
        await Self.stop(loops)
    }

    private static func stop(_ loops: [DeliveryLoop]) async {
        await withTaskGroup(of: Void.self) { group in
            for loop in loops { group.addTask { await loop.stop() } }
        }
    }

    /// The HTTP routes `role` serves, each response counted by status. The gateway's gather delay
    /// is timed by `loops`, the loops its requests run on.
    func router(for role: ServiceRole, link: BrokerLink, redis: any RedisCommandSender, loops: EventLoopGroup) -> HTTPRouter {
        var router = HTTPRouter()
        switch role {
        case .gateway:
            var gatewayConfiguration = OrderGateway.Configuration()
            gatewayConfiguration.inFlightTTL = .seconds(configuration.inFlightTTLSeconds)
            gatewayConfiguration.acceptedTTL = .seconds(configuration.idempotencyTTLSeconds)
            gatewayConfiguration.batchLanes = configuration.batchLanes
            gatewayConfiguration.maxBatchOrders = configuration.maxBatchOrders
            gatewayConfiguration.batchGatherDelay = .microseconds(configuration.batchGatherMicroseconds)
            let gateway = OrderGateway(store: store, publisher: orders, configuration: gatewayConfiguration, logger: logger,
                                       sleep: { try? await loops.sleep(for: $0) })
            ServiceRoutes.addGateway(to: &router, gateway: gateway, reader: store, metrics: metrics)
        case .dashboard:
            let gauge = DeadLetterGauge(link: link)
            ServiceRoutes.addDashboard(to: &router, reader: store, dlqDepth: gauge.depth)
        case .processor, .notifier:
            break
        }
        let metrics = metrics
        ServiceRoutes.addOperational(to: &router, ready: {
            guard link.connection != nil else { return false }
            return (try? await redis.ping()) != nil
        }, prometheus: {
            metrics.render(gauges: [(name: "broker_connected", help: "1 while a broker connection is up.", value: link.connection == nil ? 0 : 1)])
        })
        return router
    }
}
