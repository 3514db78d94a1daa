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
