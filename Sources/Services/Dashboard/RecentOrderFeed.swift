/// The latest orders the dashboard has seen in the stream of recent orders, newest first, each
/// with the last state recorded for it; at most `capacity`, so the feed holds bounded memory
/// whatever the order rate.
struct RecentOrderFeed: Sendable, Equatable {
    struct Item: Sendable, Equatable {
        var id: String
        var sku: String
        var qty: Int64
        var state: String
        var reason: String
        var notified: Bool
        var latencyMilliseconds: Int64?
        /// Unix milliseconds (Redis clock) of the last entry about it.
        var updated: Int64
    }

    let capacity: Int
    /// Newest first.
    private(set) var items: [Item] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Folds `events` (oldest first) in: an order already listed takes the newer state (a
    /// notification keeps the decision's reason) and moves to the top.
    mutating func add(_ events: [RecentOrderEvent]) {
        // Only the newest `capacity` orders can stay: older events are skipped unread.
        for event in events.suffix(capacity * 4) {
            var item = Item(id: event.orderID, sku: event.sku, qty: event.qty, state: event.state, reason: event.reason,
                            notified: event.notified, latencyMilliseconds: event.latencyMilliseconds,
                            updated: RedisPipelineStore.entryTime(event.entryID))
            if let index = items.firstIndex(where: { $0.id == event.orderID }) {
                let old = items.remove(at: index)
                item.notified = item.notified || old.notified
                if item.reason.isEmpty { item.reason = old.reason }
                item.latencyMilliseconds = item.latencyMilliseconds ?? old.latencyMilliseconds
            }
            items.insert(item, at: 0)
            if items.count > capacity { items.removeLast() }
        }
    }
}

/// The SKUs seen most recently in the stream, whose stock the dashboard shows: at most
/// `capacity`, the least recently seen dropped first.
struct RecentSKUs: Sendable, Equatable {
    let capacity: Int
    /// Most recent first.
    private(set) var skus: [String] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func saw(_ sku: String) {
        guard !sku.isEmpty else { return }
        if let index = skus.firstIndex(of: sku) { skus.remove(at: index) }
        skus.insert(sku, at: 0)
        if skus.count > capacity { skus.removeLast() }
    }
}
