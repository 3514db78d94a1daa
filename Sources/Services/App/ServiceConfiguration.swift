/// Settings shared by the pipeline's services, read from the environment and overridden by flags:
/// `--name value` or `--name=value`, the flag being the variable's name in lower case with dashes
/// (`REDIS_URL` → `--redis-url`). `ServiceConfiguration.settings` lists them all with their
/// defaults, which `--help` prints.
public struct ServiceConfiguration: Sendable, Equatable {
    /// The services this process runs (`order-pipeline` only: each role's own executable, or a
    /// link named after it, runs that role alone).
    public var roles = ServiceRole.allCases
    /// One server (`redis://[user:pass@]host:port/db`), a Sentinel-managed master
    /// (`redis-sentinel://[user:pass@]host:port,host:port/<master-name>[/db]`) or a Cluster
    /// (`redis-cluster://host:port,host:port`); see `RedisTopology`.
    public var redisURL = "redis://127.0.0.1:6379/0"
    /// Shards of the pipeline's keys on a Redis Cluster (hash tags spread over the slots, one
    /// script per shard a batch touches); unused on one master.
    public var redisShards = 16
    /// Replicas that must acknowledge (`WAIT`) the writes behind a 202 or an ack; nil: 1 when
    /// the master has replicas at start, else 0.
    public var redisMinReplicas: Int?
    /// Brokers tried in turn: `amqp://user:pass@host:port/vhost`, comma-separated in `RABBITMQ_URLS`.
    public var rabbitmqURLs = ["amqp://guest:guest@127.0.0.1:5672/"]
    /// What `rabbitmqURLs` are: nodes of one cluster, or independent brokers.
    public var rabbitmqTopology = BrokerTopology.independent

    /// How the brokers of `RABBITMQ_URLS` relate (`RABBITMQ_TOPOLOGY`).
    public enum BrokerTopology: String, Sendable, CaseIterable {
        /// Separate brokers, each with its own queues: a consumer per broker drains each, and an
        /// order confirmed by a broker that then stops waits on its disk until it returns.
        case independent
        /// Nodes of one cluster, whose quorum queues are replicated on a majority: one consumer
        /// connects to any node and moves on to another when that node dies.
        case cluster
    }
    /// Loopback by default; containers set `0.0.0.0`. A port of 0 lets the system pick a free one.
    public var host = "127.0.0.1"
    public var gatewayPort = 8080
    public var dashboardPort = 8081
    public var processorMetricsPort = 8082
    public var notifierMetricsPort = 8083
    /// Unacknowledged deliveries a consumer may hold.
    public var prefetch = 64
    /// Seconds a gateway request's claim holds its idempotency scope.
    public var inFlightTTLSeconds = 30
    /// Seconds an idempotency record is remembered.
    public var idempotencyTTLSeconds = 24 * 3600
    /// Seconds a notifier's lease on one notification lasts.
    public var notificationLeaseSeconds = 30
    /// Seconds an accepted order may stay without its notification before the processor decides
    /// it again from its payload in Redis (`OpenOrderSweeper`); 0 turns the sweep off.
    public var openOrderSweepSeconds = 30
    /// Simulated latency of the default (logging) notification sender, in milliseconds.
    public var notifyLatencyMilliseconds = 0
    /// Gateway batches committed at once (see `OrderGateway.Configuration.batchLanes`).
    public var batchLanes = 2
    /// Most orders in one gateway batch, and so in one broker message.
    public var maxBatchOrders = 256
    /// Gateway group-commit delay under load, in microseconds; 0 turns it off
    /// (see `OrderGateway.Configuration.batchGatherDelay`).
    public var batchGatherMicroseconds = 300
    /// Milliseconds a gateway request may wait for its claim to start; later it is answered 503
    /// and never committed (see `OrderGateway.Configuration.requestDeadline`).
    public var requestDeadlineMilliseconds = 10_000
    /// Most gateway requests waiting for a batch lane; more are answered 503 at once.
    public var gatewayMaxWaiting = 1024
    /// Most notifications one notifier sends at once, whatever the prefetch and batch sizes.
    public var notifyConcurrency = 512
    /// Event-loop threads serving the process's sockets. One keeps a request's reads, its Redis
    /// and broker replies and its response on one thread, with no wake-up of another thread in
    /// between; a process with more than a core's worth of socket work wants more.
    public var eventLoopThreads = 1
    /// Whether the HTTP servers log a line per request (`ACCESS_LOG`).
    public var accessLog = false
    /// The `OTEL_*` variables of the environment, which configure tracing (see
    /// `ServiceTracing.variables`); read from the environment only, not from flags.
    public var otel: [String: String] = [:]
    /// Pages of other origins allowed to open the dashboard's live feed (`scheme://host[:port]`);
    /// its own origin always may.
    public var dashboardAllowedOrigins: [String] = []
    /// The services whose `/readyz` the dashboard probes, `name=http://host:port/readyz`; empty:
    /// the four roles on 127.0.0.1 at their configured ports (the bound ones for the roles this
    /// process runs).
    public var dashboardHealthTargets: [String] = []

    public init() {}

    /// Why a setting could not be read.
    public struct InvalidSetting: Error, CustomStringConvertible, Equatable {
        /// The variable's name (`PREFETCH`), or `arguments` for a malformed command line.
        public let name: String
        public let value: String
        /// What the setting accepts, when known.
        public var expected: String = ""

        public var description: String {
            name == "arguments"
                ? "invalid argument '\(value)': expected --name value or --name=value (see --help)"
                : "invalid value '\(value)' for \(name)\(expected.isEmpty ? "" : ": expected \(expected)")"
        }
    }

    /// Defaults, then `environment`, then `arguments` (flags win).
    public init(environment: [String: String], arguments: [String]) throws(InvalidSetting) {
        var values = environment
        for (name, value) in try Self.flags(arguments) { values[name] = value }
        for setting in Self.settings {
            guard let value = values[setting.name] else { continue }
            try setting.apply(&self, value)
        }
        otel = environment.filter { $0.key.hasPrefix("OTEL_") }
    }

    /// Whether `arguments` ask for the usage text instead of a run.
    public static func wantsHelp(_ arguments: [String]) -> Bool {
        arguments.contains { $0 == "--help" || $0 == "-h" }
    }

    /// The `--flag value` and `--flag=value` pairs of `arguments`, by variable name.
    private static func flags(_ arguments: [String]) throws(InvalidSetting) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--"), argument.count > 2 else { throw InvalidSetting(name: "arguments", value: argument) }
            let flag = argument.dropFirst(2)
            if let equals = flag.firstIndex(of: "=") {
                pairs.append((variableName(flag[..<equals]), String(flag[flag.index(after: equals)...])))
                index += 1
            } else {
                guard index + 1 < arguments.count else { throw InvalidSetting(name: "arguments", value: argument) }
                pairs.append((variableName(flag), arguments[index + 1]))
                index += 2
            }
            guard settings.contains(where: { $0.name == pairs[pairs.count - 1].0 }) else { throw InvalidSetting(name: "arguments", value: argument) }
        }
        return pairs
    }

    private static func variableName(_ flag: Substring) -> String {
        String(flag.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// One setting: its variable, what it means, its default, and how it is read.
    public struct Setting: Sendable {
        /// The environment variable; the flag is its lower-case, dashed form.
        public let name: String
        public let help: String
        /// The default, as it would be written in the variable.
        public let defaultValue: String
        let apply: @Sendable (inout ServiceConfiguration, String) throws(InvalidSetting) -> Void

        /// `--name-in-lower-case`.
        public var flag: String { "--" + name.lowercased().map { $0 == "_" ? "-" : $0 } }
    }

    /// Every setting, in the order `--help` lists them.
    public static let settings: [Setting] = [
        Setting(name: "ROLES", help: "services to run in this process (order-pipeline only), comma-separated",
                defaultValue: ServiceRole.allCases.map(\.rawValue).joined(separator: ",")) { configuration, value throws(InvalidSetting) in
            let names = value.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
            let roles = names.compactMap(ServiceRole.init(rawValue:))
            guard !roles.isEmpty, roles.count == names.count else {
                throw InvalidSetting(name: "ROLES", value: value, expected: "one or more of " + ServiceRole.allCases.map(\.rawValue).joined(separator: ", "))
            }
            configuration.roles = ServiceRole.allCases.filter(roles.contains)
        },
        text("REDIS_URL", \.redisURL, "Redis to use: redis://[user:pass@]host:port/db, redis-sentinel://host:port,.../master[/db] or redis-cluster://host:port,..."),
        Setting(name: "RABBITMQ_URLS", help: "brokers, comma-separated amqp://user:pass@host:port/vhost URLs, tried in turn",
                defaultValue: ServiceConfiguration().rabbitmqURLs.joined(separator: ",")) { configuration, value throws(InvalidSetting) in
            let urls = value.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
            guard !urls.isEmpty else { throw InvalidSetting(name: "RABBITMQ_URLS", value: value, expected: "at least one URL") }
            configuration.rabbitmqURLs = urls
        },
        Setting(name: "RABBITMQ_TOPOLOGY", help: "what RABBITMQ_URLS are: independent brokers (a consumer on each) or the nodes of one cluster (one consumer, any node)",
                defaultValue: BrokerTopology.independent.rawValue) { configuration, value throws(InvalidSetting) in
            guard let topology = BrokerTopology(rawValue: value) else {
                throw InvalidSetting(name: "RABBITMQ_TOPOLOGY", value: value, expected: "independent or cluster")
            }
            configuration.rabbitmqTopology = topology
        },
        text("HOST", \.host, "address the HTTP ports listen on (0.0.0.0 in containers)"),
        number("GATEWAY_PORT", \.gatewayPort, 0...65535, "gateway HTTP port (0 picks a free one)"),
        number("DASHBOARD_PORT", \.dashboardPort, 0...65535, "dashboard HTTP port"),
        number("PROCESSOR_PORT", \.processorMetricsPort, 0...65535, "processor health and metrics port"),
        number("NOTIFIER_PORT", \.notifierMetricsPort, 0...65535, "notifier health and metrics port"),
        number("PREFETCH", \.prefetch, 1...65535, "unacknowledged deliveries per consumer"),
        number("INFLIGHT_TTL_SECONDS", \.inFlightTTLSeconds, 1...3600, "seconds a request's claim holds its idempotency scope"),
        number("IDEMPOTENCY_TTL_SECONDS", \.idempotencyTTLSeconds, 1...30 * 24 * 3600, "seconds an idempotency record is remembered"),
        number("NOTIFICATION_LEASE_SECONDS", \.notificationLeaseSeconds, 2...3600, "seconds a notifier's lease on one send lasts"),
        number("OPEN_ORDER_SWEEP_SECONDS", \.openOrderSweepSeconds, 0...86_400,
               "seconds an accepted order may go unnotified before the processor decides it again (0 turns this off)"),
        number("NOTIFY_LATENCY_MS", \.notifyLatencyMilliseconds, 0...60_000, "simulated latency of the logging notification sender"),
        number("BATCH_LANES", \.batchLanes, 1...256, "gateway batches committed at once"),
        number("BATCH_MAX_ORDERS", \.maxBatchOrders, 1...1024, "most orders in one gateway batch (one broker message)"),
        number("BATCH_GATHER_US", \.batchGatherMicroseconds, 0...100_000, "gateway group-commit delay under load, in µs (0 turns it off)"),
        number("REDIS_SHARDS", \.redisShards, 1...1_024, "shards of the pipeline's keys on a Redis Cluster (ignored on one master)"),
        Setting(name: "REDIS_MIN_REPLICAS", help: "replicas that must acknowledge the writes behind a 202 or an ack (WAIT); auto: 1 when the master has replicas",
                defaultValue: "auto") { configuration, value throws(InvalidSetting) in
            if value == "auto" { configuration.redisMinReplicas = nil; return }
            guard let number = Int(value), (0...16).contains(number) else {
                throw InvalidSetting(name: "REDIS_MIN_REPLICAS", value: value, expected: "auto or an integer in 0...16")
            }
            configuration.redisMinReplicas = number
        },
        number("REQUEST_DEADLINE_MS", \.requestDeadlineMilliseconds, 1...600_000, "a gateway request not claimed by then is answered 503"),
        number("GATEWAY_MAX_WAITING", \.gatewayMaxWaiting, 0...1_000_000, "gateway requests waiting for a lane; more are answered 503"),
        number("NOTIFY_CONCURRENCY", \.notifyConcurrency, 1...100_000, "notifications one notifier has in hand at once"),
        number("EVENT_LOOP_THREADS", \.eventLoopThreads, 1...256, "threads serving the process's sockets"),
        Setting(name: "ACCESS_LOG", help: "1 logs a line per HTTP request: method, path, status, duration, bytes, trace id",
                defaultValue: "0") { configuration, value throws(InvalidSetting) in
            switch value.lowercased() {
            case "1", "true": configuration.accessLog = true
            case "0", "false": configuration.accessLog = false
            default: throw InvalidSetting(name: "ACCESS_LOG", value: value, expected: "1 or 0")
            }
        },
        list("DASHBOARD_ALLOWED_ORIGINS", \.dashboardAllowedOrigins, "other pages allowed to open the dashboard's live feed, comma-separated scheme://host[:port]"),
        list("DASHBOARD_HEALTH_TARGETS", \.dashboardHealthTargets,
             "services the dashboard probes, comma-separated name=http://host:port/readyz (default: the four roles on 127.0.0.1)"),
    ]

    private static func list(_ name: String, _ field: WritableKeyPath<ServiceConfiguration, [String]> & Sendable, _ help: String) -> Setting {
        Setting(name: name, help: help, defaultValue: ServiceConfiguration()[keyPath: field].joined(separator: ",")) { configuration, value throws(InvalidSetting) in
            configuration[keyPath: field] = value.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        }
    }

    private static func text(_ name: String, _ field: WritableKeyPath<ServiceConfiguration, String> & Sendable, _ help: String) -> Setting {
        Setting(name: name, help: help, defaultValue: ServiceConfiguration()[keyPath: field]) { configuration, value throws(InvalidSetting) in
            guard !value.isEmpty else { throw InvalidSetting(name: name, value: value, expected: "a non-empty value") }
            configuration[keyPath: field] = value
        }
    }

    private static func number(_ name: String, _ field: WritableKeyPath<ServiceConfiguration, Int> & Sendable, _ range: ClosedRange<Int>, _ help: String) -> Setting {
        Setting(name: name, help: help, defaultValue: String(ServiceConfiguration()[keyPath: field])) { configuration, value throws(InvalidSetting) in
            guard let number = Int(value), range.contains(number) else {
                throw InvalidSetting(name: name, value: value, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            configuration[keyPath: field] = number
        }
    }

    /// What `--help` prints for `program`: what it runs, then every setting with its default.
    public static func usage(program: String, summary: String) -> String {
        let width = settings.map { $0.flag.count + 8 }.max() ?? 0
        var lines = [
            "\(program): \(summary)",
            "",
            "usage: \(program) [--name value | --name=value]...",
            "",
            "Every setting is read from its environment variable and overridden by its flag:",
            "",
        ]
        for setting in settings {
            let flag = "\(setting.flag) VALUE".padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  \(flag)  \(setting.name) (default \(setting.defaultValue.isEmpty ? "none" : setting.defaultValue))")
            lines.append("  \(String(repeating: " ", count: width))    \(setting.help)")
        }
        lines += ["", "Tracing (OpenTelemetry, OTLP/HTTP JSON) is configured by the standard variables, from the environment only:", ""]
        for variable in ServiceTracing.variables {
            lines.append("  \(variable.name) (default \(variable.defaultValue))")
            lines.append("      \(variable.help)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

private extension String {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
