import JSON

/// What the dashboard reports: the seed's three fields, plus pipeline totals.
public struct DashboardSnapshot: Sendable, Equatable {
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

    /// `{"dlq_depth","inventory_level","notification_status","processed_orders_count","totals":{...}}`,
    /// keys sorted (the seed's fields, each omitted when unknown).
    public var json: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        if let dlqDepth { writer.field("dlq_depth", dlqDepth) }
        if let inventoryLevel { writer.field("inventory_level", inventoryLevel) }
        if let notificationStatus { writer.field("notification_status", notificationStatus) }
        writer.field("processed_orders_count", processedOrdersCount)
        writer.beginObject("totals")
        for (name, value) in totals.sorted(by: { $0.key < $1.key }) { writer.field(name, value) }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}
