import Foundation
import AMQP091
import HTTPServer
import RESP

import Transport

/// One of the pipeline's services.
public enum ServiceRole: String, CaseIterable, Sendable {
    case gateway, processor, notifier, dashboard

    /// The role's service name in logs and traces, also the name of its executable.
    var serviceName: String { "order-\(rawValue)" }
}

/// Runs one or more services in this process until SIGINT or SIGTERM: waits for Redis and a
/// broker, serves HTTP, consumes, and on a signal stops accepting, finishes the work under way
/// and closes its connections. Everything it starts is a task of one group.
public enum PipelineApp {
    /// Runs `roles`, configured from the environment and `arguments`; returns the exit status.
    /// `--help` prints the settings and their defaults instead (status 0); a bad setting prints
    /// what was wrong (status 2).
    public static func main(roles: [ServiceRole], arguments: [String], environment: [String: String]) async -> Int32 {
        if ServiceConfiguration.wantsHelp(arguments) {
            let program = roles.count == 1 ? roles[0].serviceName : "order-pipeline"
            print(ServiceConfiguration.usage(program: program, summary: summary(roles)), terminator: "")
            return 0
        }
        let status = await runLogged(roles: roles, arguments: arguments, environment: environment)
        await JSONLogger.flush()
        return status
    }

    /// `order-pipeline`'s entry point: run under a role's name (`order-gateway`, say, a link to
    /// it, which is how the container image ships one binary for every service) it runs that
    /// role; otherwise the roles of `ROLES` (`--roles`), all four by default.
    public static func main(program: String, arguments: [String], environment: [String: String]) async -> Int32 {
        let name = program.split(separator: "/").last.map(String.init) ?? program
        if name.hasPrefix("order-"), let role = ServiceRole(rawValue: String(name.dropFirst("order-".count))) {
            return await main(roles: [role], arguments: arguments, environment: environment)
        }
        if ServiceConfiguration.wantsHelp(arguments) { return await main(roles: ServiceRole.allCases, arguments: arguments, environment: environment) }
        let roles = (try? ServiceConfiguration(environment: environment, arguments: arguments))?.roles ?? ServiceRole.allCases
        return await main(roles: roles, arguments: arguments, environment: environment)
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
        let name = processName(roles)
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

    /// The service name of a process running `roles`: the role's own for one role, otherwise
    /// `order-pipeline` (all four) or the roles joined (`order-gateway+processor`).
    static func processName(_ roles: [ServiceRole]) -> String {
        if roles.count == 1 { return roles[0].serviceName }
        return roles.count == ServiceRole.allCases.count ? "order-pipeline" : "order-" + roles.map(\.rawValue).joined(separator: "+")
    }

    static func run(roles: [ServiceRole], configuration: ServiceConfiguration, logger: JSONLogger) async throws {
        let stop = StopSignal()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                let received = await ShutdownSignal.wait()
                // Cancelled: the pipeline ended on its own, with no signal to report.
                guard !Task.isCancelled else { return true }
                logger.info("shutting down", ["signal": .string(received)])
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
    /// the requests under way, settles the deliveries under way, and closes the connections;
    /// the spans still queued for export are flushed last. The HTTP ports are bound at once
    /// (`listening` is told them): `/livez` answers 200 from then on, everything else 503 until
    /// Redis and a broker answer; serving begins then, and `serving` is told the ports. `sender`
    /// replaces the logging notification sender. `logger` names the process; each role logs
    /// under its own service name.
    static func serve(
        roles: [ServiceRole], configuration: ServiceConfiguration, logger: JSONLogger, until stop: StopSignal,
        sender: (any NotificationSender)? = nil, listening: @Sendable (RunningPipeline) -> Void = { _ in },
        serving: @Sendable (RunningPipeline) -> Void = { _ in }
    ) async throws {
        let loops = try ServiceEventLoops.group(threads: configuration.eventLoopThreads)
        // One server, a Sentinel-managed master or a Cluster, as REDIS_URL says.
        let redisTopology = try RedisTopology(url: configuration.redisURL)
        let redis = redisTopology.makeClient(on: loops)
        let tracing = ServiceTracing(roles: roles, variables: configuration.otel, loops: loops)
        for warning in tracing.warnings { logger.warning("tracing setting ignored", ["reason": .string(warning)]) }
        if tracing.isEnabled { logger.info("tracing", ["endpoint": .string(configuration.otel["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? configuration.otel["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "")]) }
        try await withThrowingDiscardingTaskGroup { tasks in
            // Cancelled last, once the work under way is done: that closes the connections and
            // flushes the spans.
            defer { tasks.cancelAll() }
            tasks.addTask { await tracing.run() }
            tasks.addTask { await MemoryTrimmer.run(every: .seconds(5), until: stop, on: loops) }
            // Every port is bound at once, so liveness answers while Redis and the broker are
            // awaited; the routes are installed once both answer (until then, 503).
            var servers: [ServiceRole: HTTPServer] = [:]
            var routers: [ServiceRole: StartingRouter] = [:]
            for role in roles {
                let router = StartingRouter()
                let roleLogger = logger.named(role.serviceName)
                let instrumentation = HTTPInstrumentation(tracer: tracing.tracer(for: role), logger: roleLogger, accessLog: configuration.accessLog)
                let server = try await HTTPServer.bind(configuration: httpConfiguration(role, configuration, logger: roleLogger), on: loops,
                                                       continuePolicy: router.continuePolicy(for:)) { request in
                    try await instrumentation.handle(request, router.handle)
                }
                servers[role] = server
                routers[role] = router
                tasks.addTask { await server.run() }
            }
            listening(RunningPipeline(ports: servers.mapValues(\.port)))
            tasks.addTask { await redis.run() }
            guard await waitForRedis(redis, logger: logger, loops: loops, until: stop) else {
                for server in servers.values { await server.shutdown(gracePeriod: .seconds(1)) }
                return
            }
            // The key layout and the replicas to wait for depend on what REDIS_URL reaches.
            let keys = PipelineRedisLayout.keys(for: redisTopology, shards: configuration.redisShards)
            let durability = await PipelineRedisLayout.durability(minReplicas: configuration.redisMinReplicas, redis: redis, logger: logger)
            logger.info("redis layout", ["shards": .int(keys.isSharded ? keys.shardCount : 0), "min_replicas": .int(durability.minReplicas)])
            let parts = try PipelineParts(roles: roles, configuration: configuration, store: RedisPipelineStore(redis: redis, keys: keys, durability: durability),
                                          redisServer: RedisSpanTarget(redisTopology), tracing: tracing, logger: logger, sender: sender, loops: loops)
            for (client, queues) in parts.broker.clients(consuming: parts.consumedQueues) {
                tasks.addTask { try? await client.run() }
                tasks.addTask { await parts.broker.log(client, consuming: queues) }
            }
            guard await parts.setUpPublishing(until: stop, loops: loops) else {
                for server in servers.values { await server.shutdown(gracePeriod: .seconds(1)) }
                return
            }
            for index in parts.broker.consuming.indices {
                tasks.addTask { await parts.consume(from: index, loops: loops, until: stop) }
            }
            for role in roles {
                guard let server = servers[role] else { continue }
                routers[role]?.install(parts.router(for: role, redis: redis, loops: loops))
                parts.logger(for: role).info("serving", ["port": .int(server.port), "connection_limit": .int(server.connectionLimit)])
            }
            // The gateways' accept recorders, which the routers just built; cancelled last.
            tasks.addTask { await parts.runGateways() }
            let ports = servers.mapValues(\.port)
            tasks.addTask { await parts.runDashboards(ports: ports, until: stop, loops: loops) }
            tasks.addTask { await parts.runOpenOrderSweep(until: stop, loops: loops) }
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
    /// what the servers report (accept failures, the limit reached) goes to the role's log, its
    /// fields' integers as numbers.
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
                var fields: LogFields = [:]
                for (key, value) in event.fields.sorted(by: { $0.key < $1.key }) { fields[key] = Int(value).map(LogValue.int) ?? .string(value) }
                logger.log(JSONLogger.Level(rawValue: event.level.rawValue) ?? .error, event.message, fields)
            })
    }

    /// PING until Redis answers, with backoff; false when `stop` was raised first.
    private static func waitForRedis(_ redis: any RedisClientProtocol, logger: JSONLogger, loops: EventLoopGroup, until stop: StopSignal) async -> Bool {
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
