import RESP

extension RedisPipelineStore: OpenOrderStore {
    public var shardCount: Int { keys.shardCount }

    public func takeOpenOrders(shard: Int, openFor age: Duration, limit: Int, maxSweeps: Int) async throws -> OpenOrderRound {
        let open = keys.openOrders(shard: shard)
        // Not `milliseconds`, which rounds up to at least 1: an age of zero takes every open order.
        let ageMilliseconds = Int(age.components.seconds) * 1000 + Int(age.components.attoseconds / 1_000_000_000_000_000)
        let taken = try await traced("EVALSHA", script: "take open orders") {
            try await redis.eval(OpenOrderScripts.take, keys: [open], arguments: [ageMilliseconds, limit])
        }
        guard case .array(let entries) = taken else { throw UnexpectedReply(step: "take open orders", reply: "\(taken)") }
        let ids = try entries.map { entry in
            guard case .bulkString(let id) = entry else { throw UnexpectedReply(step: "take open orders", reply: "\(entry)") }
            return String(describing: id)
        }
        var round = OpenOrderRound(taken: ids.count)
        guard !ids.isEmpty else { return round }
        let inspected = try await traced("EVALSHA", script: "inspect open orders") {
            try await redis.eval(OpenOrderScripts.inspect, keys: [open, keys.payloads(shard: shard)] + ids.flatMap { [keys.order($0), keys.notification($0)] },
                                 arguments: [maxSweeps] + ids)
        }
        guard case .array(let results) = inspected, results.count == ids.count else {
            throw UnexpectedReply(step: "inspect open orders", reply: "\(inspected)")
        }
        for (id, result) in zip(ids, results) {
            switch result {
            case .bulkString(let payload): round.due.append((id, Array(payload.readableBytesView)))
            case .integer(0): round.notified.append(id)
            case .integer(1): round.unrecoverable.append(id)
            case .integer(2): round.abandoned.append(id)
            default: throw UnexpectedReply(step: "inspect open orders", reply: "\(result)")
            }
        }
        return round
    }
}
