import Bytes
import RESP
import Testing

/// Tests that kill, restart or pause a redis-server of their own.
@Suite struct RedisOwnServerTests {
    @Test func clientRecoversAfterTheServerRestartsAndInFlightCommandsFail() async throws {
        let server = try await ScratchRedisServer()
        try await server.start()
        let client = RedisClient(
            configuration: RedisConfiguration(port: server.port),
            options: .init(maxConnections: 2, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200))
        )
        defer { client.shutdown() }
        try await client.set("k", to: "before")
        let inFlight = Task { try await client.send(["BLPOP", "queue", "10"]) }
        try await Task.sleep(for: .milliseconds(100))

        try await server.stop()
        do {
            _ = try await inFlight.value
            Issue.record("a command in flight when the server stops must fail")
        } catch RedisClientError.connectionClosed(let reason) {
            #expect(!reason.isEmpty)
        }
        // While the server is down, commands fail promptly with a connect error.
        do {
            _ = try await client.incr("counter")
            Issue.record("a command while the server is down must fail")
        } catch RedisClientError.connectFailed(_, let port, _) {
            #expect(port == server.port)
        }

        try await server.start()
        var recovered = false
        for _ in 0..<100 where !recovered {
            recovered = (try? await client.ping()) == "PONG"
            if !recovered { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(recovered)
        // A fresh server without persistence: the old value is gone, and INCR ran exactly once.
        #expect(try await client.get("k") == nil)
        #expect(try await client.incr("counter") == 1)
        try await server.stop()
    }

    @Test func handshakeThatGetsNoAnswerHitsTheConnectTimeout() async throws {
        let server = try await ScratchRedisServer()
        try await server.start()
        let admin = try await RedisConnection.connect(configuration: RedisConfiguration(port: server.port))
        defer { admin.close() }
        // A paused server accepts the connection but answers no command, SELECT included.
        _ = try await admin.send(["CLIENT", "PAUSE", "30000", "ALL"])
        let start = ContinuousClock.now
        await #expect(throws: RedisClientError.connectTimeout(.milliseconds(300))) {
            _ = try await RedisConnection.connect(configuration: RedisConfiguration(port: server.port, database: 1, connectTimeout: .milliseconds(300)))
        }
        // Generous: the pause lasts 30 s, so this only tells the timeout from the pause ending.
        #expect(ContinuousClock.now - start < .seconds(20))
        try await server.stop()
    }
}
