import Bytes
import RESP
import Testing
import TestSupport

@Suite(.requires(.redis)) struct RedisConnectionTests {
    @Test func typedStringCommands() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let key = RedisServer.prefix() + "k"
        #expect(try await redis.ping() == "PONG")
        #expect(try await redis.ping("hi") == "hi")
        #expect(try await redis.get(key) == nil)
        #expect(try await redis.set(key, to: "v1"))
        #expect(try await redis.get(key) == ByteBuffer(string: "v1"))
        #expect(try await redis.set(key, to: "v2", condition: .ifNotExists) == false)
        #expect(try await redis.set(key, to: "v3", condition: .ifExists))
        #expect(try await redis.setAndGet(key, to: "v4", expiration: .seconds(100)) == ByteBuffer(string: "v3"))
        guard case .seconds(let left) = try await redis.ttl(key) else {
            Issue.record("expected a TTL in seconds")
            return
        }
        #expect((1...100).contains(left))
        #expect(try await redis.set(key, to: "v5", expiration: .milliseconds(50_000)))
        #expect(try await redis.expire(key, seconds: 500))
        #expect(try await redis.exists([key, key, key + "missing"]) == 2)
        #expect(try await redis.del([key, key + "missing"]) == 1)
        #expect(try await redis.ttl(key) == .keyMissing)
        #expect(try await redis.expire(key, seconds: 5) == false)
        try await redis.set(key, to: ByteBuffer(bytes: [0, 13, 10, 255]))
        #expect(try await redis.get(key) == ByteBuffer(bytes: [0, 13, 10, 255]))
        #expect(try await redis.ttl(key) == .noExpiration)
        #expect(try await redis.del([key]) == 1)
    }

    @Test func countersHashesAndMultiKeyCommands() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let prefix = RedisServer.prefix()
        #expect(try await redis.incr(prefix + "n") == 1)
        #expect(try await redis.incrby(prefix + "n", 10) == 11)
        #expect(try await redis.decrby(prefix + "n", 20) == -9)
        #expect(try await redis.hset(prefix + "h", fields: [("a", "1"), ("b", 2)]) == 2)
        #expect(try await redis.hset(prefix + "h", fields: [("a", "one")]) == 0)
        #expect(try await redis.hget(prefix + "h", field: "a") == ByteBuffer(string: "one"))
        #expect(try await redis.hget(prefix + "h", field: "zz") == nil)
        #expect(try await redis.hgetall(prefix + "h") == ["a": ByteBuffer(string: "one"), "b": ByteBuffer(string: "2")])
        #expect(try await redis.hdel(prefix + "h", fields: ["a", "zz"]) == 1)
        #expect(try await redis.hgetall(prefix + "nothing") == [:])
        try await redis.mset([(prefix + "x", "1"), (prefix + "y", "2")])
        #expect(try await redis.mget([prefix + "x", prefix + "missing", prefix + "y"]) == [ByteBuffer(string: "1"), nil, ByteBuffer(string: "2")])
        var found: Set<String> = []
        var cursor: UInt64 = 0
        // Pages small enough to take several, few enough that a server full of other keys
        // (SCAN walks them all) is not walked two keys at a time.
        guard case .integer(let keys) = try await redis.send(["DBSIZE"]) else {
            Issue.record("DBSIZE did not answer an integer")
            return
        }
        let pageSize = max(2, Int(keys) / 100)
        repeat {
            let page = try await redis.scan(cursor: cursor, match: prefix + "*", count: pageSize)
            found.formUnion(page.keys.map { String(describing: $0) })
            cursor = page.cursor
        } while cursor != 0
        #expect(found == [prefix + "n", prefix + "h", prefix + "x", prefix + "y"])
        #expect(try await redis.info("server").contains("redis_version:"))
        #expect(try await redis.del(Array(found)) == 4)
    }

    @Test func serverErrorsAreTypedWithTheirPrefix() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let key = RedisServer.prefix() + "h"
        try await redis.hset(key, fields: [("f", "v")])
        await #expect(throws: RedisClientError.server(RedisServerError(reply: "WRONGTYPE Operation against a key holding the wrong kind of value"))) {
            try await redis.incr(key)
        }
        do {
            _ = try await redis.send(["NOSUCHCOMMAND"])
            Issue.record("an unknown command must fail")
        } catch {
            #expect(error.code == .server)
            #expect(error.serverError?.prefix == "ERR" && error.serverError?.message.contains("unknown command") == true)
        }
        #expect(try await redis.ping() == "PONG")
        try await redis.del([key])
    }

    @Test func concurrentCallersShareOneConnectionAndGetTheirOwnReplies() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let key = RedisServer.prefix() + "counter"
        let values = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<2000 { group.addTask { try await redis.incr(key) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values.sorted() == Array(1...2000))
        #expect(try await redis.get(key) == ByteBuffer(string: "2000"))
        try await redis.del([key])
    }

    @Test func explicitPipelineReturnsEveryReplyInOrder() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let key = RedisServer.prefix() + "p"
        let replies = try await redis.pipeline([["SET", key, "abc"], ["INCR", key], ["APPEND", key, "d"], ["GET", key], ["DEL", key]])
        #expect(replies == [
            .simpleString(ByteBuffer(string: "OK")),
            .error(ByteBuffer(string: "ERR value is not an integer or out of range")),
            .integer(4),
            .bulkString(ByteBuffer(string: "abcd")),
            .integer(1),
        ])
        await #expect(throws: RedisClientError.invalidCommand(.emptyCommand)) { try await redis.pipeline([["PING"], []]) }
    }

    @Test func cancelledCommandDoesNotDesynchroniseTheConnection() async throws {
        let (redis, name) = try await connectionToBlock()
        defer { redis.close() }
        let key = RedisServer.prefix() + "list"
        // Blocks until the LPUSH below, so the cancellation always comes first however busy the machine is.
        let blocked = Task { try await redis.send(["BLPOP", key, "0"]) }
        try await waitUntilBlocked(name)
        blocked.cancel()
        await #expect(throws: RedisClientError.cancelled) { try await blocked.value }
        try await unblock(key)
        // The BLPOP's reply arrives first and must be discarded, not handed to this PING.
        #expect(try await redis.ping("after") == "after")
        #expect(!redis.isClosed)
    }

    @Test func cancelledPipelineAbandonsAllItsCommands() async throws {
        let (redis, name) = try await connectionToBlock()
        defer { redis.close() }
        let key = RedisServer.prefix() + "list"
        let blocked = Task { try await redis.pipeline([["PING", "first"], ["BLPOP", key, "0"], ["PING", "last"]]) }
        try await waitUntilBlocked(name)
        blocked.cancel()
        await #expect(throws: RedisClientError.cancelled) { try await blocked.value }
        try await unblock(key)
        #expect(try await redis.ping("next") == "next")
        #expect(redis.inFlight == 0)
    }

    @Test func commandTimeoutClosesTheConnection() async throws {
        let redis = try await RedisServer.connect { $0.commandTimeout = .milliseconds(300) }
        let key = RedisServer.prefix() + "list"
        let start = ContinuousClock.now
        await #expect(throws: RedisClientError.commandTimeout(.milliseconds(300))) { try await redis.send(["BLPOP", key, "0"]) }
        // Generous: the bound only tells a timeout that fired from one that never did (BLPOP 0 waits forever).
        #expect(ContinuousClock.now - start >= .milliseconds(300) && ContinuousClock.now - start < .seconds(20))
        #expect(redis.isClosed)
        await #expect(throws: RedisClientError.self) { try await redis.ping() }
    }

    @Test func commandTimeoutFiresForACommandSentWhileOthersFlowed() async throws {
        // The connection's one timer is armed for the first PING's deadline; it must move on to
        // the BLPOP's when it fires, not lose it and not fire it early.
        let redis = try await RedisServer.connect { $0.commandTimeout = .milliseconds(400) }
        let key = RedisServer.prefix() + "list"
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(250) { #expect(try await redis.ping() == "PONG") }
        let blocked = ContinuousClock.now
        await #expect(throws: RedisClientError.commandTimeout(.milliseconds(400))) { try await redis.send(["BLPOP", key, "0"]) }
        #expect(ContinuousClock.now - blocked >= .milliseconds(400))
        #expect(redis.isClosed)
    }

    /// A connection named for this test alone, whose commands may wait for as long as the test
    /// does: the BLPOPs below end only when the test unblocks them.
    private func connectionToBlock() async throws -> (RedisConnection, String) {
        let name = "blocked-\(UInt64.random(in: 0...UInt64.max))"
        return (try await RedisServer.connect { $0.clientName = name; $0.commandTimeout = testPatience * 2 }, name)
    }

    /// Waits until the connection named `name` is blocked in its BLPOP (its CLIENT LIST line
    /// shows it), seen from a second connection; other tests' clients do not count.
    private func waitUntilBlocked(_ name: String) async throws {
        let observer = try await RedisServer.connect()
        defer { observer.close() }
        try await eventually("\(name) to block", every: .milliseconds(25)) {
            let clients = try await observer.send(["CLIENT", "LIST"]).string ?? ""
            return clients.split(separator: "\n").contains { $0.contains("name=\(name) ") && $0.contains("cmd=blpop") }
        }
    }

    /// Pushes one element from a second connection, which answers the blocked BLPOP.
    private func unblock(_ key: String) async throws {
        let pusher = try await RedisServer.connect()
        defer { pusher.close() }
        _ = try await pusher.send(["LPUSH", key, "x"])
    }

    @Test func setupSelectsTheDatabaseAndNamesTheClient() async throws {
        let inDatabase2 = try await RedisServer.connect { $0.database = 2; $0.clientName = "resp-tests" }
        let inDatabase0 = try await RedisServer.connect { $0.database = 0 }
        defer { inDatabase2.close(); inDatabase0.close() }
        let key = RedisServer.prefix() + "db"
        try await inDatabase2.set(key, to: "here")
        #expect(try await inDatabase0.get(key) == nil)
        #expect(try await inDatabase2.get(key) == ByteBuffer(string: "here"))
        #expect(try await inDatabase2.send(["CLIENT", "GETNAME"]) == .bulkString(ByteBuffer(string: "resp-tests")))
        try await inDatabase2.del([key])
    }

    @Test func failedAuthenticationIsReportedByConnect() async throws {
        do {
            _ = try await RedisServer.connect { $0.username = "nobody"; $0.password = "wrong" }
            Issue.record("connect must fail")
        } catch let error as RedisClientError where error.code == .server {
            #expect(error.serverError?.prefix == "WRONGPASS")
        } catch {
            Issue.record("expected a server error, got \(error)")
        }
    }
}

/// Connection failures that need no server.
@Suite struct RedisConnectFailureTests {
    @Test func refusedConnectionIsAConnectErrorThatKeepsItsCause() async throws {
        let error = await #expect(throws: RedisClientError.self) { _ = try await RedisConnection.connect(url: "redis://127.0.0.1:1") }
        #expect(error?.code == .connectFailed)
        #expect(error?.transportError == .connectionRefused(address: "127.0.0.1:1"))
        #expect(error?.description == "cannot connect to 127.0.0.1:1: connect to 127.0.0.1:1 refused: Connection refused")
    }
}
