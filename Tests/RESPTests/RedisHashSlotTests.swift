import RESP
import Testing
import TestSupport

@Suite struct RedisHashSlotTests {
    /// The check value of CRC16/XMODEM, as the Redis Cluster specification gives it.
    @Test func crc16OfTheSpecificationsExample() {
        #expect(RedisHashSlot.slot(of: "123456789") == 0x31C3)
    }

    /// Hash tags as the Redis Cluster specification describes them, with the slots
    /// `CLUSTER KEYSLOT` gives for the same keys.
    @Test(arguments: [
        ("foo", 12182), ("bar", 5061), ("hello", 866), ("", 0),
        ("{user1000}.following", 3443), ("{user1000}.followers", 3443),
        // An empty tag does not count: the whole key is hashed.
        ("foo{}{bar}", 8363),
        // The tag runs from the first { to the first } after it.
        ("foo{{bar}}zap", 4015), ("{bar", 4015),
        ("foo{bar}{zap}", 5061), ("bar}", 6624), ("a{b}c", 3300),
    ])
    func hashTags(key: String, slot: Int) {
        #expect(RedisHashSlot.slot(of: key) == slot)
    }

    @Test func keysWithTheSameTagShareASlot() {
        #expect(RedisHashSlot.slot(of: "{order:42}:state") == RedisHashSlot.slot(of: "{order:42}:lease"))
        #expect(RedisHashSlot.slot(of: "{order:42}:state") == RedisHashSlot.slot(of: "order:42"))
    }
}

extension RedisClusterTopologyTests {
    /// `CLUSTER KEYSLOT` as the oracle, over keys of every shape.
    @Suite struct HashSlots {
        @Test func slotsMatchTheServers() async throws {
            let seed = try RedisClusterConfiguration(url: TestServer.redisCluster.url()).seeds[0]
            var node = try RedisClusterConfiguration(url: TestServer.redisCluster.url()).node
            node.endpoint = seed
            let connection = try await RedisConnection.connect(configuration: node)
            defer { connection.close() }
            var generator = SystemRandomNumberGenerator()
            let alphabet = Array("ab{}:_-0123456789é€".unicodeScalars)
            var keys = ["{", "}", "{}", "}{", "{{}}", "a{}", "{a}{b}", "x{y}z{w}"]
            for _ in 0..<500 {
                let length = Int.random(in: 0...12, using: &generator)
                keys.append(String(String.UnicodeScalarView((0..<length).map { _ in alphabet.randomElement(using: &generator)! })))
            }
            let replies = try await connection.pipeline(keys.map { ["CLUSTER", "KEYSLOT", $0] })
            for (key, reply) in zip(keys, replies) {
                #expect(reply == .integer(Int64(RedisHashSlot.slot(of: key))), "key \(key.debugDescription)")
            }
        }
    }
}
