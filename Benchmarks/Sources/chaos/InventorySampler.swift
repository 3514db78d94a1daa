import RESP
import Services
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

/// Reads every `inventory:<sku>` of the run every `interval` until cancelled.
struct InventorySampler: Sendable {
    var redisURL: String
    var skus: [String]
    var interval: Duration = .milliseconds(100)

    /// Samples until the task is cancelled. A round that fails or finds a level missing or not a
    /// number counts as a failure; the run goes on, so a Redis fault costs samples, not the run.
    func run() async throws -> InventorySamples {
        try await ChaosRedis(url: redisURL, polling: true).withRunning { redis in await sample(redis) }
    }

    private func sample(_ redis: any RedisClientProtocol) async -> InventorySamples {
        var result = InventorySamples()
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            do {
                let levels = try await Self.levels(of: skus, in: redis)
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

    /// The SKUs' levels, missing or non-numeric ones left out; one GET per SKU, all in flight at
    /// once, since on a Cluster the SKUs' keys lie in slots of different masters (no MGET).
    private static func levels(of skus: [String], in redis: any RedisClientProtocol) async throws -> [(sku: String, level: Int)] {
        try await withThrowingTaskGroup(of: (sku: String, level: Int)?.self) { group in
            for sku in skus {
                group.addTask { try await redis.get(PipelineKeys.inventory(sku)).flatMap { Int($0.description) }.map { (sku: sku, level: $0) } }
            }
            var levels: [(sku: String, level: Int)] = []
            for try await level in group { level.map { levels.append($0) } }
            return levels
        }
    }
}
