import Bytes
@testable import RESP
import Testing
import TestSupport

@Suite struct RedisClusterSlotMapTests {
    private let seed = RedisEndpoint(host: "seed", port: 7000)

    private func node(_ port: Int, _ role: String, endpoint: String = "10.0.0.1", health: String = "online") -> RESPValue {
        .array([bulk("id"), bulk("n\(port)"), bulk("port"), .integer(Int64(port)), bulk("ip"), bulk("10.0.0.1"),
                bulk("endpoint"), bulk(endpoint), bulk("role"), bulk(role), bulk("replication-offset"), .integer(1), bulk("health"), bulk(health)])
    }

    private func shard(_ ranges: [Int64], _ nodes: [RESPValue]) -> RESPValue {
        .array([bulk("slots"), .array(ranges.map { .integer($0) }), bulk("nodes"), .array(nodes)])
    }

    @Test func shardsGiveMastersReplicasAndSlots() throws {
        let reply = RESPValue.array([
            shard([0, 5460, 10923, 10923], [node(7001, "master"), node(7004, "replica"), node(7005, "replica", health: "fail")]),
            shard([5461, 10922], [node(7002, "master", endpoint: "?"), node(7006, "replica")]),
            // A master without slots, as during resharding: it serves nothing.
            shard([], [node(7003, "master")]),
        ])
        let map = try #require(RedisClusterSlotMap(shards: reply, answeredBy: seed))
        #expect(map.shard(serving: 0) == .init(master: RedisEndpoint(host: "10.0.0.1", port: 7001), replicas: [RedisEndpoint(host: "10.0.0.1", port: 7004)]))
        #expect(map.shard(serving: 10923)?.master.port == 7001)
        #expect(map.shard(serving: 5461)?.master == RedisEndpoint(host: "10.0.0.1", port: 7002), "an unknown endpoint falls back to the IP")
        #expect(map.shard(serving: 12000) == nil)
        #expect(map.uncovered == 16384 - 5461 - 1 - 5462)
        #expect(map.shards.count == 2)
    }

    @Test func slotsOfOlderServers() throws {
        let reply = RESPValue.array([
            .array([.integer(0), .integer(8191), .array([bulk("10.0.0.1"), .integer(7001), bulk("id1")]), .array([bulk("10.0.0.2"), .integer(7004), bulk("id4")])]),
            .array([.integer(8192), .integer(16383), .array([bulk(""), .integer(7002), bulk("id2")])]),
        ])
        let map = try #require(RedisClusterSlotMap(slots: reply, answeredBy: seed))
        #expect(map.shard(serving: 100)?.replicas == [RedisEndpoint(host: "10.0.0.2", port: 7004)])
        #expect(map.shard(serving: 16383)?.master == RedisEndpoint(host: "seed", port: 7002), "a node without an address is the one asked")
        #expect(map.uncovered == 0)
    }

    @Test func malformedRepliesAreRejected() {
        #expect(RedisClusterSlotMap(shards: .integer(1), answeredBy: seed) == nil)
        #expect(RedisClusterSlotMap(shards: .array([shard([0, 16384], [node(7001, "master")])]), answeredBy: seed) == nil)
        #expect(RedisClusterSlotMap(slots: .array([.array([.integer(5), .integer(1), .array([bulk("h"), .integer(1)])])]), answeredBy: seed) == nil)
    }
}

extension RedisClusterTopologyTests {
    /// The two ways of reading the map give the same one on a real cluster.
    @Suite struct SlotMap {
        @Test func shardsAndSlotsAgree() async throws {
            var node = try RedisClusterConfiguration(url: TestServer.redisCluster.url()).node
            let seed = try RedisClusterConfiguration(url: TestServer.redisCluster.url()).seeds[0]
            node.endpoint = seed
            let connection = try await RedisConnection.connect(configuration: node)
            defer { connection.close() }
            let fromShards = try #require(RedisClusterSlotMap(shards: try await connection.send(["CLUSTER", "SHARDS"]), answeredBy: seed))
            let fromSlots = try #require(RedisClusterSlotMap(slots: try await connection.send(["CLUSTER", "SLOTS"]), answeredBy: seed))
            #expect(fromShards.uncovered == 0)
            for slot in stride(from: 0, to: 16384, by: 97) {
                #expect(fromShards.shard(serving: slot)?.master == fromSlots.shard(serving: slot)?.master, "slot \(slot)")
            }
        }
    }
}
