/// Which node serves each of a cluster's 16384 slots, read from `CLUSTER SHARDS` (Redis 7) or
/// `CLUSTER SLOTS` (older servers).
struct RedisClusterSlotMap: Sendable, Equatable {
    /// A master and its replicas, serving some slots.
    struct Shard: Sendable, Hashable {
        var master: RedisEndpoint
        /// Replicas that are online.
        var replicas: [RedisEndpoint]
    }

    /// The shards, in the order the server listed them.
    private(set) var shards: [Shard] = []
    /// For each slot, its shard's index in `shards`, or -1 when no shard serves it.
    private(set) var slots = [Int16](repeating: -1, count: RedisHashSlot.count)

    /// The shard serving `slot`, if any.
    func shard(serving slot: Int) -> Shard? {
        let index = slots[slot]
        return index < 0 ? nil : shards[Int(index)]
    }

    /// Every node the map names, masters first.
    var nodes: [RedisEndpoint] {
        shards.map(\.master) + shards.flatMap(\.replicas)
    }

    /// Slots no shard serves.
    var uncovered: Int { slots.lazy.filter { $0 < 0 }.count }

    /// Reads a `CLUSTER SHARDS` reply; `answeredBy` stands in for a node that does not know its
    /// own address. Nil when the reply has another shape.
    init?(shards reply: RESPValue, answeredBy: RedisEndpoint) {
        guard case .array(let items) = reply else { return nil }
        for item in items {
            let shard = item.fields
            guard case .array(let bounds)? = shard["slots"], case .array(let nodes)? = shard["nodes"] else { return nil }
            var master: RedisEndpoint?
            var replicas: [RedisEndpoint] = []
            for node in nodes {
                let fields = node.fields
                guard let port = fields["port"]?.int else { return nil }
                let endpoint = RedisEndpoint(host: Self.host(fields["endpoint"]?.string, fields["ip"]?.string, answeredBy), port: port)
                if fields["role"]?.string == "master" {
                    master = endpoint
                } else if fields["health"]?.string == "online" {
                    replicas.append(endpoint)
                }
            }
            let ranges = stride(from: 0, to: bounds.count - 1, by: 2).compactMap { index -> ClosedRange<Int>? in
                guard let low = bounds[index].int, let high = bounds[index + 1].int, low <= high else { return nil }
                return low...high
            }
            // A shard without slots (a master emptied by resharding, or one being added) serves nothing.
            guard let master, !ranges.isEmpty else { continue }
            guard add(Shard(master: master, replicas: replicas), ranges) else { return nil }
        }
    }

    /// Reads a `CLUSTER SLOTS` reply: `[[first, last, [host, port, ...], replica...], ...]`.
    init?(slots reply: RESPValue, answeredBy: RedisEndpoint) {
        guard case .array(let items) = reply else { return nil }
        for item in items {
            guard case .array(let fields) = item, fields.count >= 3,
                  let low = fields[0].int, let high = fields[1].int, low <= high
            else { return nil }
            var endpoints: [RedisEndpoint] = []
            for node in fields[2...] {
                guard case .array(let parts) = node, parts.count >= 2, let port = parts[1].int else { return nil }
                endpoints.append(RedisEndpoint(host: Self.host(nil, parts[0].string, answeredBy), port: port))
            }
            guard add(Shard(master: endpoints[0], replicas: Array(endpoints.dropFirst())), [low...high]) else { return nil }
        }
    }

    /// Adds `shard` (or more slots of a shard already known) for `ranges`; false when a range
    /// lies outside the slots.
    private mutating func add(_ shard: Shard, _ ranges: [ClosedRange<Int>]) -> Bool {
        guard ranges.allSatisfy({ $0.lowerBound >= 0 && $0.upperBound < RedisHashSlot.count }) else { return false }
        let index = shards.firstIndex(of: shard) ?? {
            shards.append(shard)
            return shards.count - 1
        }()
        for range in ranges { for slot in range { slots[slot] = Int16(index) } }
        return true
    }

    /// The address to use: the preferred endpoint, else the IP, else the node that answered
    /// (an empty or `?` endpoint means the node does not know it).
    private static func host(_ endpoint: String?, _ ip: String?, _ answeredBy: RedisEndpoint) -> String {
        for candidate in [endpoint, ip] {
            if let candidate, !candidate.isEmpty, candidate != "?" { return candidate }
        }
        return answeredBy.host
    }
}
