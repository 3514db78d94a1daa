import Bytes
import Foundation
import RESP
import Testing
import TestSupport

@Suite(.requires(.redis)) struct RedisClientTests {
    @Test func poolSpreadsConcurrentCommandsOverItsConnections() async throws {
        let client = try RedisClient(url: RedisServer.url, options: .init(maxConnections: 4))
        defer { client.shutdown() }
        let key = RedisServer.prefix() + "n"
        let values = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<1000 { group.addTask { try await client.incr(key) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values.sorted() == Array(1...1000))
        #expect((1...4).contains(client.openConnections))
        try await client.del([key])
    }

    @Test func exhaustedPoolFailsWithAClearError() async throws {
        let client = try RedisClient(url: RedisServer.url, options: .init(maxConnections: 1, waitTimeout: .milliseconds(200)))
        defer { client.shutdown() }
        try await client.withConnection { (held) throws(RedisClientError) in
            #expect(try await held.ping() == "PONG")
            await #expect(throws: RedisClientError.poolExhausted(maxConnections: 1, waited: .milliseconds(200))) {
                try await client.ping()
            }
        }
        #expect(try await client.ping() == "PONG")
    }

    @Test func waiterGetsTheConnectionWhenALeaseEnds() async throws {
        let client = try RedisClient(url: RedisServer.url, options: .init(maxConnections: 1, waitTimeout: .seconds(5)))
        defer { client.shutdown() }
        let waiting = try await client.withConnection { (_) throws(RedisClientError) in
            let waiting = Task { try await client.ping("waited") }
            try? await Task.sleep(for: .milliseconds(100))
            return waiting
        }
        #expect(try await waiting.value == "waited")
    }
}

/// Pool behaviour that needs no server.
@Suite struct RedisClientConnectFailureTests {
    @Test func refusedConnectsBackOffAndFailFast() async throws {
        let client = RedisClient(configuration: RedisConfiguration(port: 1), options: .init(initialBackoff: .seconds(30)))
        defer { client.shutdown() }
        let refused = RedisClientError.connectFailed(host: "127.0.0.1", port: 1, reason: "connect to 127.0.0.1:1 refused: Connection refused")
        await #expect(throws: refused) { try await client.ping() }
        // Within the backoff the last error comes back without another connect attempt.
        let start = ContinuousClock.now
        await #expect(throws: refused) { try await client.ping() }
        #expect(ContinuousClock.now - start < .milliseconds(50))
    }
}
