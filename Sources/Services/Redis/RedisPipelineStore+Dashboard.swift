import RESP

/// The live dashboard's reads: every command names keys of one slot (a shard's stream, one
/// SKU's stock), and each kind goes in one pipelined round trip.
extension RedisPipelineStore: DashboardSource {
    public func totals() async throws -> [String: Int64] {
        try await snapshot(sku: nil, orderID: nil).totals
    }

    public func recentOrders(after cursors: [String]?, initial: Int) async throws -> (events: [RecentOrderEvent], cursors: [String]) {
        let shards = 0..<keys.shardCount
        let commands: [[any RESPArgument]] = shards.map { shard in
            if let cursors, shard < cursors.count {
                ["XRANGE", keys.recentOrders(shard: shard), "(" + cursors[shard], "+", "COUNT", PipelineKeys.recentOrdersCap]
            } else {
                ["XREVRANGE", keys.recentOrders(shard: shard), "+", "-", "COUNT", initial]
            }
        }
        let replies = try await redis.pipeline(commands)
        var events: [RecentOrderEvent] = []
        var next: [String] = []
        for (shard, reply) in replies.enumerated() {
            if case .error(let text) = reply { throw UnexpectedReply(step: "read recent orders", reply: String(describing: text)) }
            var entries = Self.streamEntries(reply)
            if cursors == nil || shard >= cursors!.count { entries.reverse() }
            next.append(entries.last?.entryID ?? cursors.flatMap { shard < $0.count ? $0[shard] : nil } ?? "0-0")
            events += entries
        }
        // Shards interleave by time: entry ids start with their Redis-clock milliseconds.
        events.sort { Self.entryTime($0.entryID) < Self.entryTime($1.entryID) }
        return (events, next)
    }

    public func inventory(skus: [String]) async throws -> [String: Int64?] {
        guard !skus.isEmpty else { return [:] }
        let replies = try await redis.pipeline(skus.map { ["GET", PipelineKeys.inventory($0)] })
        var levels: [String: Int64?] = [:]
        // updateValue: assigning a nil level through the subscript would drop the SKU instead.
        for (sku, reply) in zip(skus, replies) { levels.updateValue(reply.string.flatMap { Int64($0) }, forKey: sku) }
        return levels
    }

    /// The entries of an XRANGE reply, skipping any without an order id.
    private static func streamEntries(_ reply: RESPValue) -> [RecentOrderEvent] {
        guard case .array(let entries) = reply else { return [] }
        return entries.compactMap { entry in
            guard case .array(let parts) = entry, parts.count == 2, let id = parts[0].string, case .array(let pairs) = parts[1] else { return nil }
            var fields: [String: String] = [:]
            for index in stride(from: 0, to: pairs.count - 1, by: 2) {
                if let name = pairs[index].string { fields[name] = pairs[index + 1].string ?? "" }
            }
            guard let order = fields["o"], !order.isEmpty else { return nil }
            return RecentOrderEvent(entryID: id, orderID: order, state: fields["s"] ?? "", reason: fields["r"] ?? "", sku: fields["k"] ?? "",
                                    qty: Int64(fields["q"] ?? "") ?? 0, notified: fields["n"] == "1",
                                    latencyMilliseconds: fields["l"].flatMap { Int64($0) })
        }
    }

    /// The milliseconds part of a stream entry id.
    static func entryTime(_ id: String) -> Int64 {
        Int64(id.prefix { $0 != "-" }) ?? 0
    }
}
