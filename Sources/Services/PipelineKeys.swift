/// The Redis keys the pipeline uses, in one place so services and tests agree on them.
public enum PipelineKeys {
    /// The gateway's idempotency record for a request keyed by order id or by `Idempotency-Key`.
    public static func idempotency(orderID: String) -> String { "idem:order:\(orderID)" }
    public static func idempotency(key: String) -> String { "idem:key:\(key)" }
    /// Hash with the order's `state`, `reason`, `sku`, `qty`, `decided` and `accepted_at` (ms).
    public static func order(_ id: String) -> String { "order:\(id)" }
    /// Units in stock for a SKU; a missing key means the SKU is unknown.
    public static func inventory(_ sku: String) -> String { "inventory:\(sku)" }
    /// A notifier's lease on sending one notification.
    public static func notificationLease(_ orderID: String) -> String { "notif:\(orderID)" }
    /// Hash with the notification's `status` (`sent`) and `notified_at` (ms).
    public static func notification(_ orderID: String) -> String { "notifications:\(orderID)" }
    /// Hash of pipeline totals: accepted, duplicates, reserved, rejected, notified.
    public static let totals = "metrics:totals"
    /// Orders the processor decided; the seed's dashboard reports it as `processed_orders_count`.
    public static let processedCount = "orders.processed.count"
}
