import RESP

/// The key `redis-benchmark --cluster -t set,get` (7.0) sends to a node: `key:{TAG}:__rand_int__`.
///
/// What matches: the form and length (22 bytes). TAG is one to three characters hashing to the
/// node's first slot, padded to three with `}` as redis-benchmark pads its tags. Without `-r`,
/// `__rand_int__` stays as it is and redis-benchmark moves a connection to another slot only
/// after a `MOVED` or `ASK`, so each node gets one key, in its first slot: a 7.0.15 run leaves
/// `DBSIZE` 1 on every master.
/// What does not: redis-benchmark takes TAG from a fixed table (`crc16_slot_table`) and this
/// finds the first alphanumeric one, so the two may name different keys of the same slot.
enum ClusterBenchmarkKey {
    /// The key redis-benchmark would send to the node whose first slot is `slot`.
    /// - Throws: when no tag of up to three alphanumerics hashes to `slot` (every slot has one).
    static func key(forSlot slot: Int) throws -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        for length in 1...3 {
            var indices = [Int](repeating: 0, count: length)
            while true {
                let tag = String(indices.map { alphabet[$0] })
                if RedisHashSlot.slot(of: tag) == slot {
                    return "key:{\(tag)\(String(repeating: "}", count: 3 - length))}:__rand_int__"
                }
                // The next tag of this length, like an odometer; done when it wraps around.
                var position = length - 1
                while position >= 0 {
                    indices[position] += 1
                    if indices[position] < alphabet.count { break }
                    indices[position] = 0
                    position -= 1
                }
                if position < 0 { break }
            }
        }
        throw BenchmarkFailure("no tag of up to three alphanumerics hashes to slot \(slot)")
    }
}
