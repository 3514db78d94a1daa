import AMQP091
import HTTPServer
import RESP
import Synchronization
import Transport

/// One of the pipeline's services.
public enum ServiceRole: String, CaseIterable, Sendable {
    case gateway, processor, notifier, dashboard
}

/// Runs one or more services in this process until SIGINT or SIGTERM: waits for Redis and a
/// broker, serves HTTP, consumes, and on a signal stops accepting, finishes the work under way
/// and closes its connections.
public enum PipelineApp {
    /// Runs `roles`, configured from the environment and `arguments`; returns the exit status.
    public static func main(roles: [ServiceRole], arguments: [String], environment: [String: String]) async -> Int32 {
        let status = await runLogged(roles: roles, arguments: arguments, environment: environment)
        await JSONLogger.flush()
        return status
    }

    private static func runLogged(roles: [ServiceRole], arguments: [String], environment: [String: String]) async -> Int32 {
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(environment: environment, arguments: arguments)
        } catch {
            JSONLogger(service: "order-pipeline").error("bad configuration", ["error": "\(error)"])
            return 2
        }
        let name = roles.count == ServiceRole.allCases.count ? "order-pipeline" : roles.map(\.rawValue).joined(separator: "+")
        let logger = JSONLogger(service: name)
        _ = SystemLimits.raiseOpenFileLimit()
        do {
            try await run(roles: roles, configuration: configuration, logger: logger)
            return 0
        } catch {
            logger.error("stopped", ["error": "\(error)"])
            return 1
        }
    }

    static func run(roles: [ServiceRole], configuration: ServiceConfiguration, logger: JSONLogger) async throws {
        let stop = StopFlag()
        let signal = Task {
            let name = await ShutdownSignal.wait()
            stop.raise()
            return name
        }
        guard let pipeline = try await start(roles: roles, configuration: configuration, logger: logger, until: stop) else { return }
        let received = await signal.value
        logger.info("shutting down", ["signal": received])
        await pipeline.stop()
    }

    /// Starts `roles` and returns once they serve: after Redis answers and a broker connection is
    /// set up. Returns nil when `stop` is raised first. `sender` replaces the logging sender.
    static func start(roles: [ServiceRole], configuration: ServiceConfiguration, logger: JSONLogger,
                      until stop: StopFlag = StopFlag(), sender: (any NotificationSender)? = nil) async throws -> RunningPipeline? {
        let group = try ServiceEventLoops.group(threads: configuration.eventLoopThreads)
        // One server, a Sentinel-managed master or a Cluster, as REDIS_URL says.
        let redis = try RedisTopology(url: configuration.redisURL).makeClient(on: group)
        // Owned by the pipeline: cancelled when starting gives up or by `RunningPipeline.stop()`.
        let redisRun = Task { await redis.run() }
        guard await waitForRedis(redis, logger: logger, until: stop) else {
            redisRun.cancel()
            return nil
        }
        let store = RedisPipelineStore(redis: redis)
        let link = try BrokerLink(urls: configuration.rabbitmqURLs, logger: logger, on: group)
        let parts = Parts(roles: roles, configuration: configuration, store: store, logger: logger, sender: sender)
        var brokers = [Task { await link.run(setup: parts.setupPublishing) }]
        if parts.consumes {
            for (index, url) in configuration.rabbitmqURLs.enumerated() {
                let consumerLink = try BrokerLink(urls: [url], logger: logger, on: group)
                brokers.append(Task { await consumerLink.run { try await parts.setupConsuming($0, broker: index) } })
            }
        }
        guard await waitForBroker(link, until: stop) else {
            for broker in brokers { broker.cancel() }
            redisRun.cancel()
            return nil
        }
        var servers: [ServiceRole: HTTPServer] = [:]
        for role in roles {
            let server = try await HTTPServer.bind(configuration: httpConfiguration(role, configuration), on: group, router: parts.router(for: role, link: link, redis: redis, loops: group))
            servers[role] = server
            logger.info("serving", ["role": role.rawValue, "port": String(server.port)])
        }
        let serving = servers.values.map { server in Task { await server.run() } }
        return RunningPipeline(servers: servers, serving: serving, parts: parts, brokers: brokers, redis: redis, redisRun: redisRun, logger: logger)
    }

    private static func httpConfiguration(_ role: ServiceRole, _ configuration: ServiceConfiguration) -> HTTPServer.Configuration {
        let port = switch role {
        case .gateway: configuration.gatewayPort
        case .dashboard: configuration.dashboardPort
        case .processor: configuration.processorMetricsPort
        case .notifier: configuration.notifierMetricsPort
        }
        return HTTPServer.Configuration(host: configuration.host, port: port, maxConnections: 20_000)
    }

    /// PING until Redis answers; false when a shutdown signal came first.
    private static func waitForRedis(_ redis: any RedisClientProtocol, logger: JSONLogger, until stop: StopFlag) async -> Bool {
        var attempt = 0
        while true {
            if stop.isRaised { return false }
            do {
                _ = try await redis.ping()
                logger.info("redis answers")
                return true
            } catch {
                attempt += 1
                logger.warning("redis unavailable", ["error": "\(error)"])
                try? await Task.sleep(for: BrokerLink.backoff(attempt))
            }
        }
    }

    /// Polls until the link has a set-up connection; false when a shutdown signal came first.
    private static func waitForBroker(_ link: BrokerLink, until stop: StopFlag) async -> Bool {
        while link.connection == nil {
            if stop.isRaised { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }
}

/// Set once a shutdown signal arrived, so waiting loops can give up.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    var isRaised: Bool { raised.load(ordering: .acquiring) }
    func raise() { raised.store(true, ordering: .releasing) }
}

/// Services started by `PipelineApp.start`.
struct RunningPipeline: Sendable {
    let servers: [ServiceRole: HTTPServer]
    let serving: [Task<Void, Never>]
    let parts: Parts
    /// The publishing link first, then one consuming link per broker.
    let brokers: [Task<Void, Never>]
    let redis: any RedisClientProtocol
    /// The Redis client's `run()`.
    let redisRun: Task<Void, Never>
    let logger: JSONLogger

    /// The port `role` serves HTTP on.
    func port(_ role: ServiceRole) -> Int? { servers[role]?.port }

    /// Stops accepting, finishes requests and deliveries under way, closes the connections.
    func stop() async {
        for server in servers.values { await server.shutdown(gracePeriod: .seconds(10)) }
        for task in serving { await task.value }
        logger.info("http stopped; settling deliveries under way")
        await parts.stopConsumers()
        logger.info("consumers stopped; closing broker connections")
        for broker in brokers { broker.cancel() }
        for broker in brokers { await broker.value }
        redisRun.cancel()
        await redisRun.value
        logger.info("stopped cleanly")
    }
}
