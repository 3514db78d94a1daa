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
        try await RedisClient.polling(url: redisURL).withRunning { redis in await sample(redis) }
    }

    private func sample(_ redis: RedisClient) async -> InventorySamples {
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

extension RedisClient {
    /// One connection with short limits, for reading Redis every fraction of a second during a
    /// fault: a read stuck on a hung or dead server would leave a gap of many rounds.
    static func polling(url: String) throws -> RedisClient {
        var configuration = try RedisConfiguration(url: url)
        configuration.connectTimeout = .seconds(1)
        configuration.commandTimeout = .seconds(1)
        return RedisClient(configuration: configuration, options: .init(maxConnections: 1, waitTimeout: .seconds(1),
                                                                       reconnectBackoff: Backoff(initial: .milliseconds(100), maximum: .milliseconds(500))))
    }
}
