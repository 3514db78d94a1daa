/// The open orders: accepted and not yet notified, as the sweeper sees them. `RedisPipelineStore`
/// is the live implementation.
public protocol OpenOrderStore: Sendable {
    /// How many shards the open orders are kept in (1 on one Redis master).
    var shardCount: Int { get }
    /// Takes up to `limit` orders of `shard` open for longer than `age` and sorts them: those
    /// since notified, or without a payload, or swept `maxSweeps` times already, leave the open
    /// orders; the others are due to be decided again, and are left alone for `age` more.
    func takeOpenOrders(shard: Int, openFor age: Duration, limit: Int, maxSweeps: Int) async throws -> OpenOrderRound
}

/// What one `takeOpenOrders` found.
public struct OpenOrderRound: Sendable {
    /// How many orders were taken (all of the lists below).
    public var taken: Int
    /// Orders to decide again: id and payload (the order as the gateway published it).
    public var due: [(id: String, payload: [UInt8])] = []
    /// Orders notified since they were found open.
    public var notified: [String] = []
    /// Orders with no payload to decide them from.
    public var unrecoverable: [String] = []
    /// Orders swept as many times as allowed, still not notified.
    public var abandoned: [String] = []

    public init(taken: Int) {
        self.taken = taken
    }
}
