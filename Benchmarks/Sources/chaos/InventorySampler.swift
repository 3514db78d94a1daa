import RESP
import Transport

/// What the inventory looked like while the load ran: the reconciliation's proof that stock never
/// went below zero at any moment it was looked at, not only once the pipeline was quiet.
struct InventorySamples: Codable, Sendable {
    /// Rounds in which every SKU's level was read.
    var samples = 0
    /// Rounds that failed (Redis down or unreachable during a fault).
    var failures = 0
    /// The lowest level seen, and the SKU that had it; nil before the first sample.
    var minimum: Int?
    var minimumSKU: String?

    mutating func record(_ levels: [(sku: String, level: Int)]) {
        samples += 1
        for (sku, level) in levels where minimum.map({ level < $0 }) ?? true {
            minimum = level
            minimumSKU = sku
        }
    }
}

/// Reads every `inventory:<sku>` of the run with one MGET every `interval` until cancelled.
struct InventorySampler: Sendable {
    var redisURL: String
    var skus: [String]
    var interval: Duration = .milliseconds(100)

    /// Samples until the task is cancelled. A round that fails or finds a level missing or not a
    /// number counts as a failure; the run goes on, so a Redis fault costs samples, not the run.
    func run() async throws -> InventorySamples {
        try await ChaosRedis.client(url: redisURL, polling: true).withRunning { redis in await sample(redis) }
    }

    private func sample(_ redis: any RedisClientProtocol) async -> InventorySamples {
        let keys = skus.map { "inventory:\($0)" }
        var result = InventorySamples()
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            do {
                let values = try await redis.mget(keys)
                let levels = zip(skus, values).compactMap { sku, value in
                    value.flatMap { Int($0.description) }.map { (sku: sku, level: $0) }
                }
                if levels.count == skus.count { result.record(levels) } else { result.failures += 1 }
            } catch {
                result.failures += 1
            }
            // A slow round is not made up for with a burst of rounds.
            next = max(next + interval, clock.now)
            try? await clock.sleep(until: next)
        }
        return result
    }
}

/// The chaos tool's Redis clients: one server (`redis://`) or the master of a Sentinel set
/// (`redis-sentinel://`), whose keys have their plain names. A Cluster's keys carry shard tags
/// that these commands do not compute, so `redis-cluster://` is refused.
enum ChaosRedis {
    struct UnsupportedTopology: Error, CustomStringConvertible {
        var description: String { "the chaos tool reads the plain key names of one server or a Sentinel master; redis-cluster:// is not supported" }
    }

    /// A client of `url`. `polling`: one connection with short limits, for reading Redis every
    /// fraction of a second during a fault, where a read stuck on a hung or dead server would
    /// leave a gap of many rounds.
    static func client(url: String, polling: Bool = false) throws -> any RedisClientProtocol {
        let options = RedisClient.Options(maxConnections: 1, waitTimeout: .seconds(1),
                                          reconnectBackoff: Backoff(initial: .milliseconds(100), maximum: .milliseconds(500)))
        switch try RedisTopology(url: url) {
        case .single(var configuration):
            guard polling else { return RedisClient(configuration: configuration) }
            configuration.connectTimeout = .seconds(1)
            configuration.commandTimeout = .seconds(1)
            return RedisClient(configuration: configuration, options: options)
        case .sentinel(var configuration):
            if polling {
                configuration.node.connectTimeout = .seconds(1)
                configuration.node.commandTimeout = .seconds(1)
                configuration.options = options
            }
            return RedisSentinelClient(configuration: configuration)
        case .cluster:
            throw UnsupportedTopology()
        }
    }
}
