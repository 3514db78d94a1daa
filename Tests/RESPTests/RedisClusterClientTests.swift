import Bytes
import Foundation
import RESP
import Synchronization
import Testing
import TestSupport

/// The Cluster client against a real cluster (`scripts/servers.sh start redis-cluster`, or the
/// one `scripts/interop/redis-ha.sh` starts). Serialized, nested suites included: some tests move
/// slots and fail masters over.
@Suite(.serialized, .requires(.redisCluster)) struct RedisClusterTopologyTests {
    let configuration: RedisClusterConfiguration

    init() throws {
        configuration = try RedisClusterConfiguration(url: TestServer.redisCluster.url())
    }

    private func withClient<Result>(
        _ change: (inout RedisClusterConfiguration) -> Void = { _ in },
        _ body: (RedisClusterClient) async throws -> Result
    ) async throws -> Result {
        var configuration = configuration
        change(&configuration)
        return try await RedisClusterClient(configuration: configuration).withRunning(body)
    }

    @Test func commandsGoToTheNodeServingTheirSlot() async throws {
        let prefix = RedisServer.prefix()
        let keys = (0..<200).map { "\(prefix)\($0)" }
        try await withClient { redis throws in
            for key in keys { try await redis.set(key, to: key) }
            for key in keys { #expect(try await redis.get(key) == ByteBuffer(string: key)) }
            // Each key is on the master the client's map names for its slot, asked directly.
            let ranges = redis.slotRanges
            #expect(ranges.map(\.0.count).reduce(0, +) == 16384)
            for key in keys.prefix(20) {
                let master = try #require(ranges.first { $0.0.contains(RedisHashSlot.slot(of: key)) }?.1)
                let node = try await TopologyControl.connect(master, like: configuration.node)
                defer { node.close() }
                #expect(try await node.send(["GET", key]) == .bulkString(ByteBuffer(string: key)))
            }
            #expect(try await redis.del(Array(keys.prefix(1))) == 1)
        }
    }

    @Test func aPipelineAcrossNodesAnswersInOrder() async throws {
        let prefix = RedisServer.prefix()
        try await withClient { redis throws in
            let commands: [[any RESPArgument]] = (0..<300).map { index in
                index.isMultiple(of: 3) ? ["GET", "\(prefix)missing\(index)"] : ["INCRBY", "\(prefix)\(index)", index]
            }
            let replies = try await redis.pipeline(commands)
            #expect(replies.count == commands.count)
            for (index, reply) in replies.enumerated() {
                #expect(reply == (index.isMultiple(of: 3) ? .nullBulkString : .integer(Int64(index))), "reply \(index)")
            }
            // A failing command stays in its place as an error value.
            let mixed = try await redis.pipeline([["SET", "\(prefix)a", "x"], ["INCR", "\(prefix)a"], ["GET", "\(prefix)a"]])
            #expect(mixed[1].string?.hasPrefix("ERR") == true && mixed[2] == .bulkString(ByteBuffer(string: "x")))
        }
    }

    @Test func keysSpanningSlotsAreRefusedBeforeSending() async throws {
        let prefix = RedisServer.prefix()
        let (one, other) = ("{\(prefix)a}:x", "{\(prefix)b}:y")
        try #require(RedisHashSlot.slot(of: one) != RedisHashSlot.slot(of: other))
        try await withClient { redis throws in
            let script = RedisScript("redis.call('SET', KEYS[1], 1) redis.call('SET', KEYS[2], 1) return 1")
            let refusedScript = await #expect(throws: RedisClientError.self) { try await redis.eval(script, keys: [one, other]) }
            #expect(refusedScript?.code == .crossSlot)
            #expect(refusedScript?.message.contains(one) == true && refusedScript?.message.contains(other) == true, "\(String(describing: refusedScript))")
            let refusedTransaction = await #expect(throws: RedisClientError.self) {
                try await redis.transaction([["SET", one, "1"], ["SET", other, "1"]])
            }
            #expect(refusedTransaction?.code == .crossSlot)
            #expect(refusedTransaction?.message.contains(other) == true)
            let refusedMulti = await #expect(throws: RedisClientError.self) { try await redis.mget([one, other]) }
            #expect(refusedMulti?.code == .crossSlot)
            // Nothing reached a server.
            #expect(try await redis.exists([one]) == 0)
            #expect(try await redis.exists([other]) == 0)
            // With a common hash tag all of it runs.
            let (first, second) = ("{\(prefix)t}:x", "{\(prefix)t}:y")
            #expect(try await redis.eval(script, keys: [first, second]) == .integer(1))
            #expect(try await redis.transaction([["INCR", first], ["INCR", second]]) == .committed([.integer(2), .integer(2)]))
            #expect(try await redis.mget([first, second]) == [ByteBuffer(string: "2"), ByteBuffer(string: "2")])
        }
    }

    @Test func pubSubWorksInClusterMode() async throws {
        let channel = RedisServer.prefix() + "events"
        try await withClient { redis throws in
            let subscriber = redis.makeSubscriber()
            let log = EventLog(subscriber)
            await subscriber.subscribe(channels: [channel])
            #expect(await log.waitFor(.subscribed(channelOrPattern: channel, count: 1)))
            // Published through whichever node the client picks: the cluster forwards it to all.
            for index in 0..<5 { _ = try await redis.send(["PUBLISH", channel, "m\(index)"]) }
            for index in 0..<5 { #expect(await log.waitFor(.message(channel: channel, payload: ByteBuffer(string: "m\(index)")))) }
            await log.stop()
        }
    }

    @Test func readsCanGoToReplicas() async throws {
        let key = "{\(RedisServer.prefix())}:r"
        // A client reads from the replicas its slot map lists as online. An earlier test's
        // failover can leave the key's replica resynchronising, and a client's map is read when
        // it starts: each round starts a client of its own, until one read ran on the replica
        // and returned the value (replication is asynchronous too).
        try await TopologyControl.waitUntil("a GET served by the key's replica", within: .seconds(45)) {
            try await withClient({ $0.readPolicy = .replicas }) { redis throws in
                try await redis.set(key, to: "v")
                let master = try #require(redis.slotRanges.first { $0.0.contains(RedisHashSlot.slot(of: key)) }?.1)
                let replica = try await RedisClusterTopologyTests.Faults.replica(of: master, like: configuration.node)
                let before = try await getCalls(on: replica)
                for _ in 0..<10 where try await redis.get(key) != ByteBuffer(string: "v") {
                    try await letTimePass(.milliseconds(50), because: .retryDelay)
                }
                return try await getCalls(on: replica) > before
            }
        }
        // Writes still go to the master.
        _ = try await withClient({ $0.readPolicy = .replicas }) { redis throws in try await redis.set(key, to: "w") }
    }

    private func getCalls(on node: RedisEndpoint) async throws -> Int {
        let stats = try await TopologyControl.info("cmdstat_get", section: "commandstats", at: node, like: configuration.node) ?? "calls=0"
        return Int(stats.split(separator: ",").first { $0.hasPrefix("calls=") }?.dropFirst(6) ?? "0") ?? 0
    }
}

extension RedisClusterTopologyTests {
    /// The Cluster client while the cluster changes under it: slots migrating, failovers, a
    /// master killed. Within the serialized suite, so nothing else uses the cluster meanwhile.
    @Suite struct Faults {
        let configuration: RedisClusterConfiguration

        init() throws {
            configuration = try RedisClusterConfiguration(url: TestServer.redisCluster.url())
        }

        /// Keys for the load: one per task, spread over the slots, the first `onSlotOf` tagged with
        /// `tag` when given.
        private func loadKeys(_ count: Int, tag: String? = nil) -> [String] {
            let prefix = RedisServer.prefix()
            return (0..<count).map { index in tag.map { "{\($0)}:\(prefix)\(index)" } ?? "\(prefix){\(index)}" }
        }

        /// Load on 30 keys spread over the slots, once it is going; returns the keys, the first
        /// key's slot and the master serving it.
        private func startLoad(on redis: RedisClusterClient) async throws -> ([String], Int, RedisEndpoint, LoadUnderFault) {
            let keys = loadKeys(30)
            for key in keys { try await redis.set(key, to: "0") }
            let slot = RedisHashSlot.slot(of: keys[0])
            let master = try #require(redis.slotRanges.first { $0.0.contains(slot) }?.1)
            let load = LoadUnderFault(keys: keys, on: redis)
            try await load.waitForProgress(200, within: .seconds(10))
            return (keys, slot, master, load)
        }

        private func admin(_ endpoint: RedisEndpoint) async throws -> RedisConnection {
            try await TopologyControl.connect(endpoint, like: configuration.node)
        }

        @Test func slotsMigratingUnderLoadFailNoCommand() async throws {
            let tag = "reshard-\(UInt32.random(in: 0...UInt32.max))"
            let slot = RedisHashSlot.slot(of: tag)
            try await RedisClusterClient(configuration: configuration).withRunning { redis throws in
                _ = try await redis.ping()
                let masters = Array(Set(redis.slotRanges.map(\.1))).sorted { $0.port < $1.port }
                let source = try #require(redis.slotRanges.first { $0.0.contains(slot) }?.1)
                let target = try #require(masters.first { $0 != source })
                let (from, to) = (try await admin(source), try await admin(target))
                defer { from.close(); to.close() }
                let sourceID = try #require(try await from.send(["CLUSTER", "MYID"]).string)
                let targetID = try #require(try await to.send(["CLUSTER", "MYID"]).string)
                let askingBefore = try await Self.calls("asking", on: to)

                // Keys of the slot exist before the load starts, so some move while commands run.
                let keys = loadKeys(40, tag: tag)
                for key in keys { try await redis.set(key, to: "0") }
                let load = LoadUnderFault(keys: keys, on: redis)
                try await load.waitForProgress(200, within: .seconds(10))

                _ = try await to.send(["CLUSTER", "SETSLOT", slot, "IMPORTING", sourceID])
                _ = try await from.send(["CLUSTER", "SETSLOT", slot, "MIGRATING", targetID])
                var auth: [any RESPArgument] = []
                if let password = configuration.node.password {
                    auth = configuration.node.username.map { ["AUTH2", $0, password] } ?? ["AUTH", password]
                }
                // A few keys at a time, with load in between, so commands meet both ASK and MOVED.
                while true {
                    guard case .array(let batch) = try await from.send(["CLUSTER", "GETKEYSINSLOT", slot, 5]), !batch.isEmpty else { break }
                    _ = try await from.send(["MIGRATE", target.host, target.port, "", 0, 5000] + auth + ["KEYS"] + batch.compactMap(\.string))
                    try await load.waitForProgress(50, within: .seconds(10))
                }
                for node in [to, from] { _ = try await node.send(["CLUSTER", "SETSLOT", slot, "NODE", targetID]) }
                for other in masters where other != source && other != target {
                    let node = try await admin(other)
                    defer { node.close() }
                    _ = try await node.send(["CLUSTER", "SETSLOT", slot, "NODE", targetID])
                }
                try await load.waitForProgress(500, within: .seconds(10))

                let records = await load.finish()
                let verdict = try await LoadUnderFault.verify(records, on: redis, allowed: [])
                #expect(verdict.failures.isEmpty, "no command fails while its slot moves: \(verdict.failures.prefix(3))")
                #expect(try await Self.calls("asking", on: to) > askingBefore, "some commands were answered ASK and sent with ASKING")
                try await TopologyControl.waitUntil("the client's map naming the new owner", within: .seconds(10)) {
                    _ = try await redis.get(keys[0])
                    return redis.slotRanges.first { $0.0.contains(slot) }?.1 == target
                }
                print("resharding: slot \(slot) moved \(source) → \(target) under \(records.map(\.acknowledged).reduce(0, +)) commands, none failed")
            }
        }

        @Test func manualFailoverUnderLoad() async throws {
            try await RedisClusterClient(configuration: configuration).withRunning { redis throws in
                let (keys, slot, oldMaster, load) = try await startLoad(on: redis)
                let replica = try await Self.replica(of: oldMaster, like: configuration.node)

                let started = ContinuousClock.now
                let node = try await admin(replica)
                defer { node.close() }
                _ = try await node.send(["CLUSTER", "FAILOVER"])
                try await TopologyControl.waitUntil("\(replica) promoted", within: .seconds(20)) {
                    try await node.send(["ROLE"]).arrayStrings.first == "master"
                }
                try await TopologyControl.waitUntil("the client following the failover", within: .seconds(10)) {
                    _ = try await redis.get(keys[0])
                    return redis.slotRanges.first { $0.0.contains(slot) }?.1 == replica
                }
                let followed = ContinuousClock.now - started
                try await load.waitForProgress(300, within: .seconds(10))
                let records = await load.finish()
                // A manual failover waits for the replica to catch up: nothing is lost.
                let verdict = try await LoadUnderFault.verify(records, on: redis, allowed: [])
                #expect(verdict.failures.isEmpty, "the old master hands its clients over with MOVED: no command fails")
                print("CLUSTER FAILOVER: \(oldMaster) → \(replica), client on the new master after \(followed), \(verdict.failures.count) failed commands")
            }
        }

        @Test func masterKilledUnderLoad() async throws {
            try await RedisClusterClient(configuration: configuration).withRunning { redis throws in
                let (keys, slot, victim, load) = try await startLoad(on: redis)

                let killed = ContinuousClock.now
                let configFile = try await TopologyControl.kill9(victim, like: configuration.node)
                try await TopologyControl.waitUntil("a replica promoted and used by the client", within: .seconds(30)) {
                    _ = try? await redis.get(keys[0])
                    guard let owner = redis.slotRanges.first(where: { $0.0.contains(slot) })?.1 else { return false }
                    return owner != victim
                }
                // Every task gets through again.
                try await load.waitForProgress(1000, within: .seconds(30))
                let recovered = ContinuousClock.now - killed
                let records = await load.finish()
                let verdict = try await LoadUnderFault.verify(
                    records, on: redis, allowed: [.connectionClosed, .connectionLost, .connectFailed, .connectTimeout, .commandTimeout, .topologyUnavailable, .server],
                    losesAcknowledged: true
                )
                for failure in verdict.failures where failure.code == .server {
                    #expect(failure.serverError?.prefix == "CLUSTERDOWN", "only the cluster's own refusal while it fails over: \(failure)")
                }
                print("kill -9 of master \(victim): commands on all slots again after \(recovered); \(verdict.failures.count) failed commands \(Set(verdict.failures.map(\.code.description)).sorted()), \(verdict.lost) acknowledged writes lost")

                // Back as a replica, so the cluster has one for every master again.
                try await TopologyControl.restart(configFile: configFile)
                let back = try await admin(victim)
                defer { back.close() }
                try await TopologyControl.waitUntil("\(victim) rejoining as a replica", within: .seconds(30)) {
                    (try? await back.send(["ROLE"]).arrayStrings.first) == "slave"
                }
            }
        }

        /// `calls` of `command` in the node's INFO commandstats.
        static func calls(_ command: String, on node: RedisConnection) async throws -> Int {
            let text = try await node.info("commandstats")
            guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") }) else { return 0 }
            return Int(line.split(separator: ",").first { $0.contains("calls=") }?.split(separator: "=").last ?? "0") ?? 0
        }

        /// A replica of `master`, from the master's INFO.
        static func replica(of master: RedisEndpoint, like template: RedisConfiguration) async throws -> RedisEndpoint {
            let line = try #require(try await TopologyControl.info("slave0", section: "replication", at: master, like: template))
            var host: String?
            var port: Int?
            for pair in line.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                if parts[0] == "ip" { host = parts[1] }
                if parts[0] == "port" { port = Int(parts[1]) }
            }
            return RedisEndpoint(host: try #require(host), port: try #require(port))
        }
    }
}
