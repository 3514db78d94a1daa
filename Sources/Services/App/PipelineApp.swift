import Foundation
import AMQP091
import HTTPServer
import RESP

import Transport

/// One of the pipeline's services.
public enum ServiceRole: String, CaseIterable, Sendable {
    case gateway, processor, notifier, dashboard
}

/// Runs one or more services in this process until SIGINT or SIGTERM: waits for Redis and a
/// broker, serves HTTP, consumes, and on a signal stops accepting, finishes the work under way
/// and closes its connections. Everything it starts is a task of one group.
public enum PipelineApp {
    /// Runs `roles`, configured from the environment and `arguments`; returns the exit status.
    /// `--help` prints the settings and their defaults instead (status 0); a bad setting prints
    /// what was wrong (status 2).
    public static func main(roles: [ServiceRole], arguments: [String], environment: [String: String]) async -> Int32 {
        let program = roles.count == 1 ? "order-\(roles[0].rawValue)" : "order-pipeline"
        if ServiceConfiguration.wantsHelp(arguments) {
            print(ServiceConfiguration.usage(program: program, summary: summary(roles)), terminator: "")
            return 0
        }
        let status = await runLogged(roles: roles, arguments: arguments, environment: environment)
        await JSONLogger.flush()
        return status
    }

    private static func summary(_ roles: [ServiceRole]) -> String {
        let what: [ServiceRole: String] = [
            .gateway: "the HTTP gateway (POST /orders, GET /orders/{id})",
            .processor: "the order processor (orders.queue: stock reservation)",
            .notifier: "the notifier (notifier.queue: one notification per order)",
            .dashboard: "the dashboard (GET / the live page, GET /live its WebSocket feed, GET /metrics)",
        ]
        return "runs " + roles.map { what[$0]! }.joined(separator: ", ") + "; every service also serves /livez, /readyz and /metrics/prometheus"
    }

    private static func runLogged(roles: [ServiceRole], arguments: [String], environment: [String: String]) async -> Int32 {
        let name = roles.count == ServiceRole.allCases.count ? "order-pipeline" : roles.map(\.rawValue).joined(separator: "+")
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(environment: environment, arguments: arguments)
        } catch {
            JSONLogger(service: name).error("bad configuration", ["error": "\(error)"])
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            return 2
        }
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
        let stop = StopSignal()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                let received = await ShutdownSignal.wait()
                // Cancelled: the pipeline ended on its own, with no signal to report.
                guard !Task.isCancelled else { return true }
                logger.info("shutting down", ["signal": received])
                stop.raise()
                return true
            }
            group.addTask {
                try await serve(roles: roles, configuration: configuration, logger: logger, until: stop)
                return false
            }
            // After the signal the pipeline stops gracefully, and is not cancelled; should it end
            // first, the wait for a signal is.
            if try await group.next() == false { group.cancelAll() }
            try await group.waitForAll()
        }
    }

    /// Runs `roles` until `stop` is raised, then stops them gracefully: stops accepting, finishes
    /// the requests under way, settles the deliveries under way, and closes the connections.
    /// Serving begins once Redis and a broker answer; `serving` is told the ports then. `sender`
    /// replaces the logging notification sender.
    static func serve(
        roles: [ServiceRole], configuration: ServiceConfiguration, logger: JSONLogger, until stop: StopSignal,
        sender: (any NotificationSender)? = nil, serving: @Sendable (RunningPipeline) -> Void = { _ in }
    ) async throws {
        let loops = try ServiceEventLoops.group(threads: configuration.eventLoopThreads)
        let redis = RedisClient(configuration: try RedisConfiguration(url: configuration.redisURL), on: loops)
        let store = RedisPipelineStore(redis: redis)
        let parts = try PipelineParts(roles: roles, configuration: configuration, store: store, logger: logger, sender: sender, loops: loops)
        try await withThrowingDiscardingTaskGroup { tasks in
            // Cancelled last, once the work under way is done: that closes the connections.
            defer { tasks.cancelAll() }
            tasks.addTask { await redis.run() }
            for (client, queues) in parts.broker.clients(consuming: parts.consumedQueues) {
                tasks.addTask { try? await client.run() }
                tasks.addTask { await parts.broker.log(client, consuming: queues) }
            }
            guard await waitForRedis(redis, logger: logger, loops: loops, until: stop), await parts.setUpPublishing(until: stop, loops: loops) else { return }
            for index in parts.broker.consuming.indices {
                tasks.addTask { await parts.consume(from: index, loops: loops, until: stop) }
            }
            var servers: [ServiceRole: HTTPServer] = [:]
            for role in roles {
                let server = try await HTTPServer.bind(configuration: httpConfiguration(role, configuration, logger: logger), on: loops,
                                                       router: parts.router(for: role, redis: redis, loops: loops))
                servers[role] = server
                tasks.addTask { await server.run() }
                logger.info("serving", ["role": role.rawValue, "port": String(server.port), "connection_limit": String(server.connectionLimit)])
            }
            // The gateways' accept recorders, which the routers just built; cancelled last.
            tasks.addTask { await parts.runGateways() }
            let ports = servers.mapValues(\.port)
            tasks.addTask { await parts.runDashboards(ports: ports, until: stop, loops: loops) }
            serving(RunningPipeline(ports: ports))
            await stop.wait()
            for server in servers.values { await server.shutdown(gracePeriod: .seconds(10)) }
            logger.info("http stopped; settling deliveries under way")
            await parts.stopConsumers()
            logger.info("consumers stopped; closing broker connections")
        }
        logger.info("stopped cleanly")
    }

    /// The gateway's connection limit is derived from the descriptor limit; the other roles
    /// serve metrics and health checks and keep to 1,024, sharing the process's descriptors with
    /// the gateway when they run together. Health checks are answered even at the limit, and
    /// what the servers report (accept failures, the limit reached) goes to the log.
    private static func httpConfiguration(_ role: ServiceRole, _ configuration: ServiceConfiguration,
                                          logger: JSONLogger) -> HTTPServer.Configuration {
        let port = switch role {
        case .gateway: configuration.gatewayPort
        case .dashboard: configuration.dashboardPort
        case .processor: configuration.processorMetricsPort
        case .notifier: configuration.notifierMetricsPort
        }
        // A backstop for the gateway: a request's claim starts by its deadline, and the commit
        // after it is bounded by the Redis and broker timeouts (about 15 s in all).
        let requestTimeout: Duration? = role == .gateway ? .milliseconds(configuration.requestDeadlineMilliseconds) + .seconds(20) : nil
        return HTTPServer.Configuration(
            host: configuration.host, port: port, requestTimeout: requestTimeout, maxConnections: role == .gateway ? nil : 1_024,
            healthCheckPaths: ["/livez", "/readyz"],
            log: { event in
                logger.log(JSONLogger.Level(rawValue: event.level.rawValue) ?? .error, event.message,
                           event.fields.merging(["role": role.rawValue]) { field, _ in field })
            })
    }

    /// PING until Redis answers, with backoff; false when `stop` was raised first.
    private static func waitForRedis(_ redis: RedisClient, logger: JSONLogger, loops: EventLoopGroup, until stop: StopSignal) async -> Bool {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0.2)
        var failures = 0
        while !stop.isRaised {
            do {
                _ = try await redis.ping()
                logger.info("redis answers")
                return true
            } catch {
                failures += 1
                logger.warning("redis unavailable", ["error": "\(error)"])
                await stop.sleep(for: backoff.delay(attempt: failures), on: loops)
            }
        }
        return false
    }
}

/// What `PipelineApp.serve` tells once its services serve.
struct RunningPipeline: Sendable {
    /// The port each role serves HTTP on.
    let ports: [ServiceRole: Int]

    /// The port `role` serves HTTP on.
    func port(_ role: ServiceRole) -> Int? { ports[role] }
}
