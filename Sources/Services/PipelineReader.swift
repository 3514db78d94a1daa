/// What the dashboard reports: the seed's three fields, plus pipeline totals.
public struct DashboardSnapshot: Sendable, Equatable, Encodable {
    /// Orders the processor has decided.
    public var processedOrdersCount: Int64
    /// `inventory:<sku>` for the requested SKU; omitted when not asked for or unknown.
    public var inventoryLevel: Int64?
    /// `notifications:<order_id>` status for the requested order; omitted when not asked for or none.
    public var notificationStatus: String?
    /// accepted, duplicates, reserved, rejected, notified.
    public var totals: [String: Int64]
    /// Messages waiting in the dead-letter queue, when the broker could be asked.
    public var dlqDepth: Int64?

    public init(processedOrdersCount: Int64, inventoryLevel: Int64? = nil, notificationStatus: String? = nil, totals: [String: Int64] = [:], dlqDepth: Int64? = nil) {
        self.processedOrdersCount = processedOrdersCount
        self.inventoryLevel = inventoryLevel
        self.notificationStatus = notificationStatus
        self.totals = totals
        self.dlqDepth = dlqDepth
    }

    enum CodingKeys: String, CodingKey {
        case processedOrdersCount = "processed_orders_count"
        case inventoryLevel = "inventory_level"
        case notificationStatus = "notification_status"
        case totals
        case dlqDepth = "dlq_depth"
    }
}

/// Where one order stands, for `GET /orders/{id}`.
public struct OrderStatus: Sendable, Equatable, Encodable {
    public var id: String
    /// accepted, reserved, rejected or notified.
    public var state: String
    /// Why it was rejected, when it was.
    public var reason: String?

    public init(id: String, state: String, reason: String? = nil) {
        self.id = id
        self.state = state
        self.reason = reason
    }
}

/// Read-only queries over the pipeline's Redis state.
public protocol PipelineReader: Sendable {
    func snapshot(sku: String?, orderID: String?) async throws -> DashboardSnapshot
    func status(orderID: String) async throws -> OrderStatus?
}
