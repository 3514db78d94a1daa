/// One entry of the stream of recent orders (`PipelineKeys.recentOrders`): a decision the
/// processor recorded, or a notification the notifier recorded. Orders carry no personal data
/// here: the e-mail address is never written to Redis.
public struct RecentOrderEvent: Sendable, Equatable {
    /// The stream entry's id, `<ms>-<seq>` on the Redis clock.
    public var entryID: String
    public var orderID: String
    /// The order's state once this was recorded: reserved, rejected or notified.
    public var state: String
    /// Why it was rejected, when it was.
    public var reason: String
    public var sku: String
    public var qty: Int64
    /// Whether this entry records the notification.
    public var notified: Bool
    /// Accepted → notified on the Redis clock, for a notification of an order whose acceptance
    /// time is known.
    public var latencyMilliseconds: Int64?

    public init(entryID: String, orderID: String, state: String, reason: String = "", sku: String, qty: Int64,
                notified: Bool = false, latencyMilliseconds: Int64? = nil) {
        self.entryID = entryID
        self.orderID = orderID
        self.state = state
        self.reason = reason
        self.sku = sku
        self.qty = qty
        self.notified = notified
        self.latencyMilliseconds = latencyMilliseconds
    }
}

/// What the live dashboard reads besides the totals: the stream of recent orders, and stock.
public protocol DashboardSource: Sendable {
    /// Totals summed over the shards (accepted, duplicates, reserved, rejected, notified).
    func totals() async throws -> [String: Int64]
    /// Entries after `cursors` (one per shard, as returned last time), at most
    /// `PipelineKeys.recentOrdersCap` per shard, oldest first; with no cursors, the latest
    /// `initial` of each shard. Returns the new cursors.
    func recentOrders(after cursors: [String]?, initial: Int) async throws -> (events: [RecentOrderEvent], cursors: [String])
    /// `inventory:<sku>` of each SKU; nil for one that has none.
    func inventory(skus: [String]) async throws -> [String: Int64?]
}
