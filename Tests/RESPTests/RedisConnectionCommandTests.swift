import Bytes
import RESP
import Testing
import TestSupport
import Transport

/// Typed commands that change the connection's own state: AUTH, SELECT, CLIENT SETNAME, UNWATCH.
@Suite(.requires(.redis)) struct RedisConnectionCommandTests {
    @Test func selectSwitchesTheDatabaseOfThisConnectionOnly() async throws {
        let redis = try await RedisServer.connect()
        let other = try await RedisServer.connect()
        defer { redis.close(); other.close() }
        let key = RedisServer.prefix() + "db"
        try await redis.select(3)
        try await redis.set(key, to: "in 3")
        #expect(try await other.get(key) == nil, "the other connection is still in database 0")
        try await other.select(3)
        #expect(try await other.get(key) == ByteBuffer(string: "in 3"))
        try await redis.select(0)
        #expect(try await redis.get(key) == nil)
        await #expect(throws: RedisClientError.server(RedisServerError(reply: "ERR DB index is out of range"))) {
            try await redis.select(100_000)
        }
        try await other.del([key])
    }

    @Test func clientSetNameNamesThisConnection() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let name = "typed-commands-\(UInt32.random(in: 0...UInt32.max))"
        try await redis.clientSetName(name)
        #expect(try await redis.send(["CLIENT", "GETNAME"]) == .bulkString(ByteBuffer(string: name)))
        await #expect(throws: RedisClientError.self) { try await redis.clientSetName("has space") }
    }

    @Test func unwatchKeepsAnotherClientsChangeFromAbortingExec() async throws {
        let redis = try await RedisServer.connect()
        let other = try await RedisServer.connect()
        defer { redis.close(); other.close() }
        let key = RedisServer.prefix() + "watched"
        try await redis.watch([key])
        try await redis.unwatch()
        try await other.set(key, to: "changed")
        #expect(try await redis.transaction([["SET", key, "mine"]]) == .committed([.simpleString(ByteBuffer(string: "OK"))]))
        // Without UNWATCH the same sequence aborts, so the check above means something.
        try await redis.watch([key])
        try await other.set(key, to: "changed again")
        #expect(try await redis.transaction([["SET", key, "mine"]]) == .aborted)
        try await redis.del([key])
    }

    @Test func connectionsRunOnTheGroupTheyAreGiven() async throws {
        let group = try EventLoopGroup.start(threads: 1)
        let connection = try await RedisConnection.connect(configuration: RedisServer.configuration(), on: group)
        defer { connection.close() }
        #expect(connection.eventLoop === group.loops[0])
        #expect(try await connection.ping() == "PONG")
        let pooled = try await RedisClient(configuration: try RedisServer.configuration(), on: group).withRunning { client in
            try await client.withConnection { connection in connection.eventLoop }
        }
        #expect(pooled === group.loops[0])
    }

    @Test func authWithAnACLUserAndWithThePasswordOfTheDefaultUser() async throws {
        let server = try await ScratchRedisServer()
        try await server.start()
        let admin = try await RedisConnection.connect(configuration: RedisConfiguration(port: server.port))
        defer { admin.close() }
        _ = try await admin.send(["ACL", "SETUSER", "app", "on", ">app-secret", "~*", "&*", "+@all"])

        let connection = try await RedisConnection.connect(configuration: RedisConfiguration(port: server.port))
        defer { connection.close() }
        #expect(try await connection.send(["ACL", "WHOAMI"]) == .bulkString(ByteBuffer(string: "default")))
        do {
            try await connection.auth(username: "app", password: "wrong")
            Issue.record("AUTH with a wrong password must fail")
        } catch {
            #expect(error.serverError?.prefix == "WRONGPASS", "\(error)")
        }
        try await connection.auth(username: "app", password: "app-secret")
        #expect(try await connection.send(["ACL", "WHOAMI"]) == .bulkString(ByteBuffer(string: "app")))

        _ = try await admin.send(["ACL", "SETUSER", "default", "resetpass", ">default-secret"])
        try await connection.auth(password: "default-secret")
        #expect(try await connection.send(["ACL", "WHOAMI"]) == .bulkString(ByteBuffer(string: "default")))
        try await server.stop()
    }
}
