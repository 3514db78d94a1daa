import Bytes
import Foundation
@testable import RESP
import Testing
import TestSupport
import Transport

@Suite(.requires(.redis)) struct RedisClientTests {
    @Test func poolSpreadsConcurrentCommandsOverItsConnections() async throws {
        try await RedisClient(url: RedisServer.url, options: .init(maxConnections: 4)).withRunning { client throws in
            let key = RedisServer.prefix() + "n"
            let values = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<1000 { group.addTask { try await client.incr(key) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(values.sorted() == Array(1...1000))
            #expect((1...4).contains(client.openConnections))
            try await client.del([key])
        }
    }

    /// Regression: hundreds of callers at once on a pool that has no connection yet. Those past
    /// the connection limit wait for the connections being opened; one that decided to wait just
    /// before the last open completed missed that wake-up, none came later, and it failed after
    /// the wait timeout with `.poolExhausted` although every connection was shared and idle.
    @Test func callersWaitingForOpeningConnectionsAreAllServed() async throws {
        for _ in 0..<30 {
            try await RedisClient(url: RedisServer.url, options: .init(maxConnections: 2, waitTimeout: .seconds(2))).withRunning { client throws in
                try await withThrowingDiscardingTaskGroup { group in
                    for _ in 0..<400 {
                        group.addTask {
                            let reply = try await client.ping()
                            #expect(reply == "PONG")
                        }
                    }
                }
            }
        }
    }

    @Test func exhaustedPoolFailsWithAClearError() async throws {
        try await RedisClient(url: RedisServer.url, options: .init(maxConnections: 1, waitTimeout: .milliseconds(200))).withRunning { client throws in
            // Annotated as callers did when the closure had to throw `RedisClientError`: still accepted.
            try await client.withConnection { (held) throws(RedisClientError) in
                #expect(try await held.ping() == "PONG")
                await #expect(throws: RedisClientError.poolExhausted(maxConnections: 1, waited: .milliseconds(200))) {
                    try await client.ping()
                }
            }
            #expect(try await client.ping() == "PONG")
        }
    }

    @Test func waiterGetsTheConnectionWhenALeaseEnds() async throws {
        try await RedisClient(url: RedisServer.url, options: .init(maxConnections: 1, waitTimeout: .seconds(5))).withRunning { client throws in
            let waiting = try await client.withConnection { _ in
                let waiting = Task { try await client.ping("waited") }
                try await eventually("the ping to wait for the connection") { client.connectionWaiters == 1 }
                return waiting
            }
            #expect(try await waiting.value == "waited")
        }
    }

    /// Not a `RedisClientError`: `withConnection` must pass it through as it is.
    struct CallerFailure: Error, Equatable {}

    @Test func withConnectionTakesAClosureThatThrowsAnyError() async throws {
        try await RedisClient(url: RedisServer.url, options: .init(maxConnections: 1)).withRunning { client throws in
            await #expect(throws: CallerFailure()) {
                try await client.withConnection { connection in
                    _ = try await connection.ping()
                    throw CallerFailure()
                }
            }
            // The lease ended with the error: the one connection serves the next caller.
            #expect(try await client.ping() == "PONG")
        }
    }

    @Test func cancellingRunClosesThePoolAndFailsLaterCommands() async throws {
        let client = try RedisClient(url: RedisServer.url)
        let running = Task { await client.run() }
        #expect(try await client.ping() == "PONG")
        running.cancel()
        await running.value
        let error = await #expect(throws: RedisClientError.self) { try await client.ping() }
        #expect(error?.code == .connectionClosed)
        #expect(client.openConnections == 0)
    }
}

/// Pool behaviour that needs no server.
@Suite struct RedisClientConnectFailureTests {
    @Test func refusedConnectsBackOffAndFailFast() async throws {
        let options = RedisClient.Options(reconnectBackoff: Backoff(initial: .seconds(30), maximum: .seconds(30)))
        try await RedisClient(configuration: RedisConfiguration(port: 1), options: options).withRunning { client throws in
            let refused = await #expect(throws: RedisClientError.self) { try await client.ping() }
            #expect(refused?.code == .connectFailed)
            #expect(refused?.transportError?.code == .connectionRefused)
            // Within the backoff the last error comes back without another connect attempt.
            let start = ContinuousClock.now
            let again = await #expect(throws: RedisClientError.self) { try await client.ping() }
            #expect(again == refused)
            #expect(ContinuousClock.now - start < .milliseconds(50))
        }
    }
}
