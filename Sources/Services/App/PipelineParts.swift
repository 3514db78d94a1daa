import AMQP091
import HTTPServer
import RESP
import Synchronization
import Tracing
import Transport

/// The services' components, built once: the broker clients, the publishers and consumers on
/// them, the processor and notifier logic, and the HTTP routes. Each role's components log
/// under the role's service name and trace with the role's tracer.
final class PipelineParts: Sendable {
    let roles: [ServiceRole]
    let configuration: ServiceConfiguration
    let store: RedisPipelineStore
    let redisServer: RedisSpanTarget
    let tracing: ServiceTracing
    /// The process's logger, for what no one role does.
    let logger: JSONLogger
    let metrics: ServiceMetrics
    let broker: PipelineBroker
    let orders: AMQPConfirmedPublisher
    /// Events are mandatory: one no queue takes comes back, and the order is not acknowledged.
    let events: AMQPConfirmedPublisher
    /// The consumers of every broker, stopped on shutdown; once stopping, none is started.
    private let consumers = Mutex<(loops: [DeliveryLoop], stopping: Bool)>(([], false))
    /// Raised once every consumer started has returned from `run()`.
    private let consumersDone = Countdown()
    /// One of each for the process, shared by the consumers of every broker, so limits such as
    /// the notifier's sending slots hold for the process as a whole.
    private let processor: OrderProcessor
    private let notifier: OrderNotifier
    /// The gateways built for this process's routers, whose background work `runGateways` runs.
    private let gateways = Mutex<[OrderGateway]>([])
    /// The live dashboards built for this process's routers, whose samplers `runDashboards` runs.
    private let dashboards = Mutex<[DashboardLive]>([])

    /// `store` is traced per role, naming `redisServer`.
    init(roles: [ServiceRole], configuration: ServiceConfiguration, store: RedisPipelineStore, redisServer: RedisSpanTarget, tracing: ServiceTracing,
         logger: JSONLogger, sender: (any NotificationSender)?, loops: EventLoopGroup) throws(AMQPURL.ParseError) {
        self.roles = roles
        self.configuration = configuration
        self.store = store
        self.redisServer = redisServer
        self.tracing = tracing
        self.logger = logger
        metrics = ServiceMetrics(service: roles.map(\.rawValue).joined(separator: "+"))
        let broker = try PipelineBroker(urls: configuration.rabbitmqURLs, clustered: configuration.rabbitmqTopology == .cluster, consumes: roles.contains(.processor) || roles.contains(.notifier), logger: logger, on: loops)
        self.broker = broker
        orders = AMQPConfirmedPublisher(client: broker.publishing, exchange: PipelineTopology.ordersExchange, mandatory: true) { broker.publishingBroker }
        events = AMQPConfirmedPublisher(client: broker.publishing, exchange: PipelineTopology.eventsExchange, mandatory: true) { broker.publishingBroker }
        processor = OrderProcessor(store: store.traced(by: tracing.tracer(for: .processor), server: redisServer), events: events,
                                   tracer: tracing.tracer(for: .processor))
        let notifierLogger = logger.named(ServiceRole.notifier.serviceName)
        notifier = OrderNotifier(store: store.traced(by: tracing.tracer(for: .notifier), server: redisServer),
                                 sender: sender ?? LoggingSender(logger: notifierLogger, latency: .milliseconds(configuration.notifyLatencyMilliseconds)),
                                 lease: .seconds(configuration.notificationLeaseSeconds),
                                 sendTimeout: .seconds(configuration.notificationLeaseSeconds) / 2, concurrency: configuration.notifyConcurrency,
                                 tracer: tracing.tracer(for: .notifier), loops: loops)
    }

    /// The logger of `role`'s components.
    func logger(for role: ServiceRole) -> JSONLogger {
        logger.named(role.serviceName)
    }

    /// The queues this process consumes, on every broker.
    var consumedQueues: [String] {
        (roles.contains(.processor) ? [PipelineTopology.ordersQueue] : []) + (roles.contains(.notifier) ? [PipelineTopology.notifierQueue] : [])
    }

    /// Declares the topology through the publishing client and opens this process's publishing
    /// channels, retrying until done; false when `stop` was raised first.
    func setUpPublishing(until stop: StopSignal, loops: EventLoopGroup) async -> Bool {
        await broker.setUp(broker.publishing, until: stop, loops: loops) { channel throws(AMQPConnectionError) in
            try await channel.close()
            if roles.contains(.gateway) { try await orders.open() }
            if roles.contains(.processor) { try await events.open() }
        }
    }

    /// Consumes this process's queues from broker `index` until the consumers are stopped: sets
    /// them up once that broker answers, then runs them. Run it in the service's task group.
    func consume(from index: Int, loops: EventLoopGroup, until stop: StopSignal) async {
        let client = broker.consuming[index]
        var started: [DeliveryLoop] = []
        let ready = await broker.setUp(client, until: stop, loops: loops) { channel throws(AMQPConnectionError) in
            try await channel.close()
            for queue in consumedQueues where !started.contains(where: { $0.queue == queue }) {
                let role = queue == PipelineTopology.ordersQueue ? ServiceRole.processor : .notifier
                started.append(try await DeliveryLoop.start(queue: queue, prefetch: configuration.prefetch, on: client, metrics: metrics, logger: logger(for: role),
                                                            loops: loops, handler: role == .processor ? processor.handle(_:) : notifier.handle(_:)))
            }
        }
        let late = consumers.withLock { consumers -> Bool in
            guard !consumers.stopping else { return true }
            consumers.loops += started
            consumersDone.enter()
            return false
        }
        // Shutdown began while these were starting: `stopConsumers` did not see them.
        if late || !ready {
            for loop in started { await loop.stop() }
        }
        await withDiscardingTaskGroup { group in
            for loop in started { group.addTask { await loop.run() } }
        }
        if !late { consumersDone.leave() }
    }

    /// Runs the background work of the gateways built so far (their accept recorders) until
    /// cancelled.
    func runGateways() async {
        await withDiscardingTaskGroup { group in
            for gateway in gateways.withLock({ $0 }) { group.addTask { await gateway.run() } }
        }
    }

    /// Sweeps the open orders (see `OpenOrderSweeper`) until `stop` is raised, when this process
    /// runs the processor and the sweep is on. The sweep runs only while `orders.queue` and
    /// `notifier.queue` have no messages waiting on the publishing broker.
    func runOpenOrderSweep(until stop: StopSignal, loops: EventLoopGroup) async {
        guard roles.contains(.processor), configuration.openOrderSweepSeconds > 0 else { return }
        var sweep = OpenOrderSweeper.Configuration()
        sweep.age = .seconds(configuration.openOrderSweepSeconds)
        sweep.interval = min(.seconds(5), sweep.age / 2)
        let gauge = QueueDepthGauge(client: broker.publishing)
        let sweeper = OpenOrderSweeper(store: store, processor: processor, configuration: sweep, metrics: metrics, logger: logger(for: .processor)) {
            let depths = await gauge.depths(of: [PipelineTopology.ordersQueue, PipelineTopology.notifierQueue])
            return depths.values.allSatisfy { $0 == 0 }
        }
        await sweeper.run(until: stop, loops: loops)
    }

    /// Runs the samplers of the live dashboards built so far until `stop` is raised, probing the
    /// health targets of the configuration (by default every role on 127.0.0.1, at `ports` for
    /// the roles this process serves).
    func runDashboards(ports: [ServiceRole: Int], until stop: StopSignal, loops: EventLoopGroup) async {
        let probe = HealthProbe(targets: healthTargets(ports: ports))
        await withDiscardingTaskGroup { group in
            for live in dashboards.withLock({ $0 }) { group.addTask { await live.run(probe: probe, until: stop, loops: loops) } }
        }
    }

    private func healthTargets(ports: [ServiceRole: Int]) -> [HealthProbe.Target] {
        guard configuration.dashboardHealthTargets.isEmpty else {
            return configuration.dashboardHealthTargets.map { entry in
                let parts = entry.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? HealthProbe.Target(name: String(parts[0]), url: String(parts[1])) : HealthProbe.Target(name: entry, url: entry)
            }
        }
        let configured: [ServiceRole: Int] = [.gateway: configuration.gatewayPort, .processor: configuration.processorMetricsPort,
                                              .notifier: configuration.notifierMetricsPort, .dashboard: configuration.dashboardPort]
        return ServiceRole.allCases.map { role in
            HealthProbe.Target(name: role.rawValue, url: "http://127.0.0.1:\(ports[role] ?? configured[role]!)/readyz")
        }
    }

    /// Cancels the consumers of every broker at once and waits until the deliveries under way
    /// are settled.
    func stopConsumers() async {
        let loops = consumers.withLock { consumers in
            consumers.stopping = true
            return consumers.loops
        }
        await withDiscardingTaskGroup { group in
            for loop in loops { group.addTask { await loop.stop() } }
        }
        await consumersDone.wait()
    }

    /// Whether this process consumes `queue` somewhere: a consumer of it is live on a broker.
    private func isConsuming(_ queue: String) -> Bool {
        consumers.withLock { $0.loops.contains { $0.queue == queue && $0.isConsuming } }
    }

    /// Whether `role` can do its work as far as the broker goes: connected, consuming every queue
    /// it should (on at least one broker), and routing what it publishes (no unrepaired return).
    func brokerReady(for role: ServiceRole) -> Bool {
        switch role {
        case .gateway: broker.publishing.isConnected && orders.isRoutable
        case .processor: broker.publishing.isConnected && events.isRoutable && isConsuming(PipelineTopology.ordersQueue)
        case .notifier: isConsuming(PipelineTopology.notifierQueue)
        case .dashboard: broker.publishing.isConnected
        }
    }

    /// The HTTP routes `role` serves, each response counted by status. The gateway's gather delay
    /// is timed by `loops`, the loops its requests run on.
    func router(for role: ServiceRole, redis: any RedisCommandSender, loops: EventLoopGroup) -> HTTPRouter {
        var router = HTTPRouter()
        switch role {
        case .gateway:
            var gatewayConfiguration = OrderGateway.Configuration()
            gatewayConfiguration.inFlightTTL = .seconds(configuration.inFlightTTLSeconds)
            gatewayConfiguration.acceptedTTL = .seconds(configuration.idempotencyTTLSeconds)
            gatewayConfiguration.batchLanes = configuration.batchLanes
            gatewayConfiguration.maxBatchOrders = configuration.maxBatchOrders
            gatewayConfiguration.batchGatherDelay = .microseconds(configuration.batchGatherMicroseconds)
            gatewayConfiguration.requestDeadline = .milliseconds(configuration.requestDeadlineMilliseconds)
            gatewayConfiguration.maxWaiting = configuration.gatewayMaxWaiting
            let gateway = OrderGateway(store: store.traced(by: tracing.tracer(for: .gateway), server: redisServer), publisher: orders,
                                       configuration: gatewayConfiguration, logger: logger(for: .gateway), tracer: tracing.tracer(for: .gateway), loops: loops)
            gateways.withLock { $0.append(gateway) }
            ServiceRoutes.addGateway(to: &router, gateway: gateway, reader: store, metrics: metrics)
        case .dashboard:
            let gauge = QueueDepthGauge(client: broker.publishing)
            let live = DashboardLive(source: store, gauge: gauge)
            dashboards.withLock { $0.append(live) }
            ServiceRoutes.addDashboard(to: &router, reader: store, dlqDepth: { await gauge.depth(of: PipelineTopology.deadLetterQueue) })
            ServiceRoutes.addLiveDashboard(to: &router, live: live, allowedOrigins: configuration.dashboardAllowedOrigins)
        case .processor, .notifier:
            break
        }
        let metrics = metrics
        let publishing = broker.publishing
        let tracing = tracing
        ServiceRoutes.addOperational(to: &router, ready: { [self] in
            guard brokerReady(for: role) else { return false }
            return (try? await redis.ping()) != nil
        }, prometheus: {
            metrics.render(gauges: [(name: "broker_connected", help: "1 while a broker connection is up.", value: publishing.isConnected ? 1 : 0)]
                + tracing.gauges(for: role))
        })
        return router
    }
}
