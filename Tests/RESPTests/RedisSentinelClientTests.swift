import Bytes
import Foundation
import RESP
import Synchronization
import Testing
import TestSupport
import Transport

/// The Sentinel client's discovery and failover logic against scratch servers and a stand-in
/// sentinel: what a real Sentinel set only shows by chance (a stale answer, a demoted master
/// still taking the client's writes).
@Suite(.requires(.redis)) struct RedisSentinelDiscoveryTests {
    @Test func aWriteRefusedAsReadOnlyFindsTheNewMasterAndIsRetried() async throws {
        let (old, new) = (try await ScratchRedisServer(), try await ScratchRedisServer())
        try await old.start()
        try await new.start()
        let named = Mutex(RedisEndpoint(host: "127.0.0.1", port: old.port))
        let sentinel = try await FakeRedisPeer.start { session, _ in try await session.actAsSentinel { named.withLock { $0 } } }
        defer { sentinel.stop() }
        let configuration = RedisSentinelConfiguration(
            sentinels: [RedisEndpoint(host: "127.0.0.1", port: sentinel.port)], masterName: "scratch",
            retryBackoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(50))
        )
        try await RedisSentinelClient(configuration: configuration).withRunning { redis throws in
            try await redis.set("k", to: "1")
            #expect(redis.currentMaster?.port == old.port)
            // The old master is demoted behind the client's back: no +switch-master reaches it.
            let demoted = try await RedisConnection.connect(configuration: RedisConfiguration(port: old.port))
            defer { demoted.close() }
            _ = try await demoted.send(["REPLICAOF", "127.0.0.1", new.port])
            named.withLock { $0 = RedisEndpoint(host: "127.0.0.1", port: new.port) }
            // Refused with READONLY by the old master, so provably not run: sent again to the new one.
            try await redis.set("k", to: "2")
            #expect(redis.currentMaster?.port == new.port)
            let direct = try await RedisConnection.connect(configuration: RedisConfiguration(port: new.port))
            defer { direct.close() }
            #expect(try await direct.get("k") == ByteBuffer(string: "2"))
        }
        try await old.stop()
        try await new.stop()
    }

    @Test func aStaleSentinelIsNotTrusted() async throws {
        let (master, replica) = (try await ScratchRedisServer(), try await ScratchRedisServer())
        try await master.start()
        try await replica.start()
        let follower = try await RedisConnection.connect(configuration: RedisConfiguration(port: replica.port))
        defer { follower.close() }
        _ = try await follower.send(["REPLICAOF", "127.0.0.1", master.port])
        // The first sentinel still names the replica (it missed a failover); the second is right.
        let stale = try await FakeRedisPeer.start { session, _ in try await session.actAsSentinel { RedisEndpoint(host: "127.0.0.1", port: replica.port) } }
        let current = try await FakeRedisPeer.start { session, _ in try await session.actAsSentinel { RedisEndpoint(host: "127.0.0.1", port: master.port) } }
        defer { stale.stop(); current.stop() }
        let configuration = RedisSentinelConfiguration(
            sentinels: [stale, current].map { RedisEndpoint(host: "127.0.0.1", port: $0.port) }, masterName: "scratch"
        )
        try await RedisSentinelClient(configuration: configuration).withRunning { redis throws in
            try await redis.set("k", to: "v")
            #expect(redis.currentMaster?.port == master.port, "the replica named by the stale sentinel answered ROLE as a replica")
            #expect(stale.connections > 0, "the stale sentinel was asked first")
        }
        try await master.stop()
        try await replica.stop()
    }

    @Test func noSentinelAnsweringIsAClearError() async throws {
        let configuration = RedisSentinelConfiguration(
            sentinels: [RedisEndpoint(host: "127.0.0.1", port: 1)], masterName: "nowhere",
            node: RedisConfiguration(commandTimeout: .milliseconds(500))
        )
        try await RedisSentinelClient(configuration: configuration).withRunning { redis throws in
            let error = await #expect(throws: RedisClientError.self) { try await redis.ping() }
            #expect(error?.code == .topologyUnavailable)
            #expect(error?.message.contains("nowhere") == true, "\(String(describing: error))")
        }
    }
}

extension FakeRedisPeer.Session {
    /// Answers as a sentinel: the master `named` gives, subscription confirmations, PONG.
    func actAsSentinel(_ named: @Sendable () -> RedisEndpoint) async throws {
        while let command = try await readCommand() {
            switch command.first?.uppercased() {
            case "SENTINEL":
                let master = named()
                let port = String(master.port)
                try await send("*2\r\n$\(master.host.utf8.count)\r\n\(master.host)\r\n$\(port.utf8.count)\r\n\(port)\r\n")
            case "SUBSCRIBE":
                let channel = command.count > 1 ? command[1] : ""
                try await send("*3\r\n$9\r\nsubscribe\r\n$\(channel.utf8.count)\r\n\(channel)\r\n:1\r\n")
            default:
                try await send("+PONG\r\n")
            }
        }
    }
}

/// The Sentinel client against a real Sentinel set (`scripts/servers.sh start redis-sentinel`,
/// or the one `scripts/interop/redis-ha.sh` starts). Serialized: some tests fail the master over.
@Suite(.serialized, .requires(.redisSentinel)) struct RedisSentinelTopologyTests {
    let configuration: RedisSentinelConfiguration

    init() throws {
        configuration = try RedisSentinelConfiguration(url: TestServer.redisSentinel.url())
    }

    /// What the first sentinel names as the master now.
    private func sentinelsMaster() async throws -> RedisEndpoint {
        let sentinel = try await RedisConnection.connect(configuration: configuration.sentinelConfiguration(configuration.sentinels[0]))
        defer { sentinel.close() }
        let reply = try await sentinel.send(["SENTINEL", "get-master-addr-by-name", configuration.masterName])
        let parts = reply.arrayStrings
        return RedisEndpoint(host: try #require(parts.first), port: try #require(parts.last.flatMap { Int($0) }))
    }

    /// Waits until the Sentinel set has settled after an earlier failover: every sentinel names
    /// the same master and every replica it knows follows it, so a test fails over the one
    /// master there is.
    private func settled() async throws -> RedisEndpoint {
        var master: RedisEndpoint?
        try await TopologyControl.waitUntil("the Sentinel set settling on one master", within: .seconds(60)) {
            var named: Set<RedisEndpoint> = []
            var nodes: Set<RedisEndpoint> = []
            for sentinel in configuration.sentinels {
                guard let connection = try? await RedisConnection.connect(configuration: configuration.sentinelConfiguration(sentinel)) else { return false }
                defer { connection.close() }
                let address = try await connection.send(["SENTINEL", "get-master-addr-by-name", configuration.masterName]).arrayStrings
                guard address.count == 2, let port = Int(address[1]) else { return false }
                named.insert(RedisEndpoint(host: address[0], port: port))
                for replica in try await connection.send(["SENTINEL", "replicas", configuration.masterName]).arrayOfFields {
                    if let host = replica["ip"]?.string, let port = replica["port"]?.string.flatMap({ Int($0) }) { nodes.insert(RedisEndpoint(host: host, port: port)) }
                }
            }
            guard named.count == 1, let only = named.first else { return false }
            for node in nodes.subtracting([only]) {
                let role = try? await TopologyControl.info("role", section: "replication", at: node, like: configuration.node)
                // A replica down (killed earlier) does not keep the set from having one master.
                if role == "master" { return false }
            }
            master = only
            return true
        }
        return try #require(master)
    }

    /// Load on `keys` through `redis`, once the Sentinel set has settled and the client uses its
    /// master; returns that master.
    private func startLoad(_ keys: [String], on redis: RedisSentinelClient) async throws -> (RedisEndpoint, LoadUnderFault) {
        let master = try await settled()
        try await TopologyControl.waitUntil("the client on the settled master", within: .seconds(10)) {
            for key in keys { try await redis.set(key, to: "0") }
            return redis.currentMaster == master
        }
        let load = LoadUnderFault(keys: keys, on: redis)
        try await load.waitForProgress(200, within: .seconds(10))
        return (master, load)
    }

    @Test func findsTheMasterAndServesCommandsPipelinesTransactionsAndPubSub() async throws {
        let prefix = RedisServer.prefix()
        try await RedisSentinelClient(configuration: configuration).withRunning { redis throws in
            try await redis.set(prefix + "k", to: "v")
            #expect(try await redis.get(prefix + "k") == ByteBuffer(string: "v"))
            #expect(redis.currentMaster == (try await sentinelsMaster()))
            let replies = try await redis.pipeline([["INCR", prefix + "n"], ["INCR", prefix + "n"], ["GET", prefix + "missing"]])
            #expect(replies == [.integer(1), .integer(2), .nullBulkString])
            #expect(try await redis.transaction([["INCR", prefix + "n"]]) == .committed([.integer(3)]))
            let subscriber = redis.makeSubscriber()
            let log = EventLog(subscriber)
            await subscriber.subscribe(channels: [prefix + "c"])
            #expect(await log.waitFor(.subscribed(channelOrPattern: prefix + "c", count: 1)))
            _ = try await redis.send(["PUBLISH", prefix + "c", "hello"])
            #expect(await log.waitFor(.message(channel: prefix + "c", payload: ByteBuffer(string: "hello"))))
            await log.stop()
        }
    }

    @Test func wrongCredentialsAreAClearError() async throws {
        var wrong = configuration
        wrong.node.password = "not-the-password"
        wrong.node.commandTimeout = .milliseconds(500)
        try await RedisSentinelClient(configuration: wrong).withRunning { redis throws in
            let error = await #expect(throws: RedisClientError.self) { try await redis.ping() }
            #expect(error?.code == .topologyUnavailable)
            #expect(error?.message.contains("AUTH") == true || error?.message.contains("WRONGPASS") == true, "\(String(describing: error))")
        }
    }

    @Test func followsAFailoverWithinASecondOfThePromotion() async throws {
        let keys = (0..<20).map { "\(RedisServer.prefix()){\($0)}" }
        // The sentinel leading the failover announces the promotion; any of them may lead.
        var logs: [EventLog] = []
        for sentinel in configuration.sentinels {
            let announcements = RedisSubscriber(configuration: configuration.sentinelConfiguration(sentinel))
            let log = EventLog(announcements)
            await announcements.subscribe(channels: ["+failover-state-wait-promotion"])
            #expect(await log.waitFor(.subscribed(channelOrPattern: "+failover-state-wait-promotion", count: 1)))
            logs.append(log)
        }
        try await RedisSentinelClient(configuration: configuration).withRunning { redis throws in
            let (oldMaster, load) = try await startLoad(keys, on: redis)

            let sentinel = try await RedisConnection.connect(configuration: configuration.sentinelConfiguration(configuration.sentinels[0]))
            defer { sentinel.close() }
            _ = try await sentinel.send(["SENTINEL", "FAILOVER", configuration.masterName])
            try await TopologyControl.waitUntil("the client on the new master", within: .seconds(30)) {
                redis.currentMaster != nil && redis.currentMaster != oldMaster
            }
            let switched = ContinuousClock.now
            var promoted: ContinuousClock.Instant?
            for log in logs {
                if let (_, at) = await log.first(within: .zero, where: { if case .message = $0 { true } else { false } }) { promoted = at }
            }
            let moved = switched - (try #require(promoted, "a sentinel announced the promotion"))
            #expect(moved < .seconds(1), "moved \(moved) after the promotion")
            try await load.waitForProgress(300, within: .seconds(15))
            let records = await load.finish()
            // Sentinel promotes the replica before it demotes the old master, which acknowledges
            // writes in between that the new master never gets: lost, but never applied twice.
            let verdict = try await LoadUnderFault.verify(
                records, on: redis, allowed: [.failover, .connectionClosed, .connectionLost, .commandTimeout], losesAcknowledged: true
            )
            print("SENTINEL FAILOVER: \(oldMaster) → \(redis.currentMaster.map(String.init(describing:)) ?? "?"), client moved \(moved) after the promotion; \(verdict.failures.count) failed commands \(Set(verdict.failures.map(\.code.description)).sorted()), \(verdict.lost) acknowledged writes lost by the failover")
        }
        for log in logs { await log.stop() }
    }

    @Test func masterKilledUnderLoad() async throws {
        let keys = (0..<20).map { "\(RedisServer.prefix()){\($0)}" }
        try await RedisSentinelClient(configuration: configuration).withRunning { redis throws in
            let (victim, load) = try await startLoad(keys, on: redis)

            let killed = ContinuousClock.now
            let configFile = try await TopologyControl.kill9(victim, like: configuration.node)
            try await TopologyControl.waitUntil("the client on a promoted replica", within: .seconds(30)) {
                redis.currentMaster != nil && redis.currentMaster != victim
            }
            try await load.waitForProgress(300, within: .seconds(30))
            let recovered = ContinuousClock.now - killed
            let records = await load.finish()
            let verdict = try await LoadUnderFault.verify(
                records, on: redis,
                allowed: [.failover, .connectionClosed, .connectionLost, .connectFailed, .connectTimeout, .commandTimeout, .topologyUnavailable],
                losesAcknowledged: true
            )
            print("kill -9 of master \(victim): writes on \(redis.currentMaster.map(String.init(describing:)) ?? "?") after \(recovered); \(verdict.failures.count) failed commands \(Set(verdict.failures.map(\.code.description)).sorted()), \(verdict.lost) acknowledged writes lost")
            // Back as a stale master until the sentinels make it a replica; the client never uses it.
            try await TopologyControl.restart(configFile: configFile)
            try await redis.set(keys[0], to: "after")
            #expect(redis.currentMaster != victim)
        }
    }
}
