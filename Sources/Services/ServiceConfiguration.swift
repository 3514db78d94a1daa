/// Settings shared by the pipeline's services, read from the environment and overridden by
/// `--name value` flags (flag names are the variable names in lower case with dashes:
/// `REDIS_URL` → `--redis-url`).
public struct ServiceConfiguration: Sendable, Equatable {
    /// One server (`redis://[user:pass@]host:port/db`), a Sentinel-managed master
    /// (`redis-sentinel://[user:pass@]host:port,host:port/<master-name>[/db]`) or a Cluster
    /// (`redis-cluster://host:port,host:port`); see `RedisTopology`.
    public var redisURL = "redis://127.0.0.1:6379/0"
    /// Brokers tried in turn: `amqp://user:pass@host:port/vhost`, comma-separated in `RABBITMQ_URLS`.
    public var rabbitmqURLs = ["amqp://guest:guest@127.0.0.1:5672/"]
    /// Loopback by default; containers set `0.0.0.0`. A port of 0 lets the system pick a free one.
    public var host = "127.0.0.1"
    public var gatewayPort = 8080
    public var dashboardPort = 8081
    public var processorMetricsPort = 8082
    public var notifierMetricsPort = 8083
    /// Unacknowledged deliveries a consumer may hold.
    public var prefetch = 64
    /// Seconds an unconfirmed idempotency claim blocks retries.
    public var inFlightTTLSeconds = 30
    /// Seconds an accepted request is remembered.
    public var idempotencyTTLSeconds = 24 * 3600
    /// Seconds a notifier's lease on one notification lasts.
    public var notificationLeaseSeconds = 30
    /// Simulated latency of the default (logging) notification sender, in milliseconds.
    public var notifyLatencyMilliseconds = 0
    /// Gateway batches committed at once (see `OrderGateway.Configuration.batchLanes`).
    public var batchLanes = 2
    /// Most orders in one gateway batch, and so in one broker message.
    public var maxBatchOrders = 256
    /// Gateway group-commit delay under load, in microseconds; 0 turns it off
    /// (see `OrderGateway.Configuration.batchGatherDelay`).
    public var batchGatherMicroseconds = 300
    /// Most notifications one notifier sends at once, whatever the prefetch and batch sizes.
    public var notifyConcurrency = 512
    /// Event-loop threads serving the process's sockets. One keeps a request's reads, its Redis
    /// and broker replies and its response on one thread, with no wake-up of another thread in
    /// between; a process with more than a core's worth of socket work wants more.
    public var eventLoopThreads = 1

    public init() {}

    /// Why a setting could not be read.
    public struct InvalidSetting: Error, CustomStringConvertible, Equatable {
        public let name: String
        public let value: String
        public var description: String { "invalid value '\(value)' for \(name)" }
    }

    /// Defaults, then `environment`, then `arguments` (flags win).
    public init(environment: [String: String], arguments: [String]) throws(InvalidSetting) {
        var settings = environment
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            guard flag.hasPrefix("--"), index + 1 < arguments.count else {
                throw InvalidSetting(name: "arguments", value: flag)
            }
            settings[String(flag.dropFirst(2)).uppercased().replacingDashes()] = arguments[index + 1]
            index += 2
        }
        if let url = settings["REDIS_URL"] { redisURL = url }
        if let urls = settings["RABBITMQ_URLS"] {
            rabbitmqURLs = urls.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
            guard !rabbitmqURLs.isEmpty else { throw InvalidSetting(name: "RABBITMQ_URLS", value: urls) }
        }
        if let host = settings["HOST"] { self.host = host }
        try Self.read(&gatewayPort, "GATEWAY_PORT", settings, in: 0...65535)
        try Self.read(&dashboardPort, "DASHBOARD_PORT", settings, in: 0...65535)
        try Self.read(&processorMetricsPort, "PROCESSOR_PORT", settings, in: 0...65535)
        try Self.read(&notifierMetricsPort, "NOTIFIER_PORT", settings, in: 0...65535)
        try Self.read(&prefetch, "PREFETCH", settings, in: 1...65535)
        try Self.read(&inFlightTTLSeconds, "INFLIGHT_TTL_SECONDS", settings, in: 1...3600)
        try Self.read(&idempotencyTTLSeconds, "IDEMPOTENCY_TTL_SECONDS", settings, in: 1...30 * 24 * 3600)
        try Self.read(&notificationLeaseSeconds, "NOTIFICATION_LEASE_SECONDS", settings, in: 2...3600)
        try Self.read(&notifyLatencyMilliseconds, "NOTIFY_LATENCY_MS", settings, in: 0...60_000)
        try Self.read(&batchLanes, "BATCH_LANES", settings, in: 1...256)
        try Self.read(&maxBatchOrders, "BATCH_MAX_ORDERS", settings, in: 1...1024)
        try Self.read(&batchGatherMicroseconds, "BATCH_GATHER_US", settings, in: 0...100_000)
        try Self.read(&notifyConcurrency, "NOTIFY_CONCURRENCY", settings, in: 1...100_000)
        try Self.read(&eventLoopThreads, "EVENT_LOOP_THREADS", settings, in: 1...256)
    }

    private static func read(_ value: inout Int, _ name: String, _ settings: [String: String], in range: ClosedRange<Int>) throws(InvalidSetting) {
        guard let text = settings[name] else { return }
        guard let number = Int(text), range.contains(number) else { throw InvalidSetting(name: name, value: text) }
        value = number
    }
}

private extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
