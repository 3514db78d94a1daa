import Foundation
import RESP
import TestSupport

/// The development server the integration tests talk to, from `REDIS_URL`: the server the
/// `.requires(.redis)` trait checks.
enum RedisServer {
    static let url = TestServer.redis.url()

    static func configuration(_ change: (inout RedisConfiguration) -> Void = { _ in }) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: url)
        change(&configuration)
        return configuration
    }

    static func connect(_ change: (inout RedisConfiguration) -> Void = { _ in }) async throws -> RedisConnection {
        try await RedisConnection.connect(configuration: configuration(change))
    }

    /// A key prefix unique to one test run, so tests running in parallel never share keys.
    static func prefix(_ test: String = #function) -> String {
        "test:\(test.prefix { $0 != "(" }):\(UUID().uuidString):"
    }
}
