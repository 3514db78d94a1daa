import Bytes
import RESP
import Testing
import TestSupport

@Suite(.requires(.redis)) struct RedisTransactionAndScriptTests {
    @Test func transactionCommitsAndReportsPerCommandReplies() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let key = RedisServer.prefix() + "t"
        let result = try await redis.transaction([["SET", key, "a"], ["INCR", key], ["APPEND", key, "b"]])
        #expect(result == .committed([
            .simpleString(ByteBuffer(string: "OK")),
            .error(ByteBuffer(string: "ERR value is not an integer or out of range")),
            .integer(2),
        ]))
        try await redis.del([key])
    }

    @Test func watchedKeyChangedByAnotherClientAbortsExec() async throws {
        let other = try await RedisServer.connect()
        defer { other.close() }
        try await RedisClient(url: RedisServer.url).withRunning { client in try await watchedKeyAborts(client, other) }
    }

    private func watchedKeyAborts(_ client: RedisClient, _ other: RedisConnection) async throws {
        let key = RedisServer.prefix() + "w"
        try await client.set(key, to: "1")
        let result = try await client.withConnection { connection in
            try await connection.watch([key])
            try await other.set(key, to: "changed")
            return try await connection.transaction([["SET", key, "mine"]])
        }
        #expect(result == .aborted)
        #expect(try await client.get(key) == ByteBuffer(string: "changed"))
        let retried = try await client.withConnection { connection in
            try await connection.watch([key])
            return try await connection.transaction([["SET", key, "mine"]])
        }
        #expect(retried == .committed([.simpleString(ByteBuffer(string: "OK"))]))
        try await client.del([key])
    }

    @Test func keysLeftWatchedByALeaseDoNotAbortLaterTransactions() async throws {
        let other = try await RedisServer.connect()
        defer { other.close() }
        try await RedisClient(url: RedisServer.url, options: .init(maxConnections: 1)).withRunning { client in
            let key = RedisServer.prefix() + "w"
            try await client.withConnection { connection in try await connection.watch([key]) }
            try await other.set(key, to: "changed")
            #expect(try await client.transaction([["SET", key, "mine"]]) == .committed([.simpleString(ByteBuffer(string: "OK"))]))
            try await client.del([key])
        }
    }

    @Test func queueingErrorAbortsTheTransactionWithExecAbort() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        do {
            _ = try await redis.transaction([["SET", "only-one-argument"]])
            Issue.record("EXEC must fail")
        } catch {
            #expect(error.serverError?.prefix == "EXECABORT", "\(error)")
        }
        #expect(try await redis.ping() == "PONG")
    }

    @Test func scriptFallsBackToEvalAfterScriptFlushAndMatchesTheServersDigest() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let key = RedisServer.prefix() + "s"
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1]) .. ':' .. '\(key)'")
        #expect(try await redis.send(["SCRIPT", "LOAD", script.source]) == .bulkString(ByteBuffer(string: script.sha1)))
        _ = try await redis.send(["SCRIPT", "FLUSH"])
        #expect(try await redis.eval(script, keys: [key], arguments: [5]) == .bulkString(ByteBuffer(string: "5:\(key)")))
        // Not checked with SCRIPT EXISTS: other suites flush the shared server's scripts too,
        // at any moment of a parallel run. The right reply after a flush is the evidence.
        #expect(try await redis.eval(script, keys: [key], arguments: [2]) == .bulkString(ByteBuffer(string: "7:\(key)")))
        await #expect(throws: RedisClientError.self) { try await redis.eval(RedisScript("return redis.call('NOPE')")) }
        try await redis.del([key])
    }
}
