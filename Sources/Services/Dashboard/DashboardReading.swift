/// What the dashboard's sampler read in one tick: each part nil (or missing) when its source
/// did not answer in time, so the page shows a gap rather than a stale value.
struct DashboardReading: Sendable {
    /// When it was read: Unix time in milliseconds, on the dashboard's clock.
    var time: Int64
    var totals: [String: Int64]?
    /// Stream entries since the last tick, oldest first.
    var events: [RecentOrderEvent] = []
    /// Stock of the SKUs tracked, by SKU; nil values for SKUs without stock.
    var inventory: [String: Int64?] = [:]
    /// Messages ready in each queue, by queue name.
    var depths: [String: Int64?] = [:]
    var health: [ServiceHealth] = []
}

/// What one service's `/readyz` answered.
struct ServiceHealth: Sendable, Equatable {
    enum Status: String, Sendable {
        case ready, notReady = "not ready", down
    }

    var name: String
    var status: Status
    /// How long the probe took, when it was answered.
    var milliseconds: Int?
}
