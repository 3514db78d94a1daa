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
        let redis = try RedisClient(url: configuration.redisURL)
        defer { redis.shutdown() }
        let store = RedisPipelineStore(redis: redis)
        let stop = StopFlag()
        let signal = Task {
            let name = await ShutdownSignal.wait()
            stop.raise()
            return name
        }

        guard await waitForRedis(redis, logger: logger, until: stop) else { return }
        let link = try BrokerLink(urls: configuration.rabbitmqURLs, logger: logger)
        let parts = Parts(roles: roles, configuration: configuration, store: store, logger: logger)
        let broker = Task { await link.run(setup: parts.setup) }
        guard await waitForBroker(link, until: stop) else {
            broker.cancel()
            return
        }

        var servers: [HTTPServer] = []
        for role in roles {
            let server = try await HTTPServer.bind(configuration: httpConfiguration(role, configuration), router: parts.router(for: role, link: link, redis: redis))
            servers.append(server)
            logger.info("serving", ["role": role.rawValue, "port": String(server.port)])
        }
        let serving = servers.map { server in Task { await server.run() } }

        let received = await signal.value
        logger.info("shutting down", ["signal": received])
        for server in servers { await server.shutdown(gracePeriod: .seconds(10)) }
        for task in serving { await task.value }
        logger.info("http stopped; settling deliveries under way")
        await parts.stopConsumers()
        logger.info("consumers stopped; closing broker connection")
        broker.cancel()
        await broker.value
        logger.info("stopped cleanly")
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
    private static func waitForRedis(_ redis: RedisClient, logger: JSONLogger, until stop: StopFlag) async -> Bool {
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
private final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    var isRaised: Bool { raised.load(ordering: .acquiring) }
    func raise() { raised.store(true, ordering: .releasing) }
}
