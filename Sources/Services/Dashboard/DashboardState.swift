import JSON

/// What the live page shows, built from one reading per tick, and its JSON: a `snapshot` (the
/// whole history of the last minutes) for a page that connects or fell behind, a `tick` (the
/// newest point of each series) for a page that has every tick before it. Both carry the
/// current totals, depths, latency, inventory, feed and health in full.
///
/// Pure and bounded: `historyLength` points, a feed of `feedLength` orders, a latency window of
/// `latencyTicks` ticks, `skuCount` SKUs.
struct DashboardState: Sendable {
    /// The series of order counts per second, from the totals of the same names.
    static let rateSeries = ["accepted", "reserved", "rejected", "notified"]
    /// The queues whose depth is sampled, and the series names they are shown under.
    static let queues = [(PipelineTopology.ordersQueue, "orders_queue"), (PipelineTopology.notifierQueue, "notifier_queue"),
                         (PipelineTopology.deadLetterQueue, "dlq")]

    struct Point: Sendable, Equatable {
        /// Unix milliseconds.
        var time: Int64
        /// Per second, in the order of `rateSeries`; nil without two readings of the totals.
        var rates: [Int64?]
        /// In the order of `queues`.
        var depths: [Int64?]
        var p50: Int64?
        var p99: Int64?
    }

    let historyLength: Int
    private(set) var points: [Point] = []
    private(set) var sequence: UInt64 = 0
    private var previousTotals: (time: Int64, totals: [String: Int64])?
    private(set) var totals: [String: Int64] = [:]
    private var depths: [Int64?]
    private(set) var feed: RecentOrderFeed
    private(set) var skus: RecentSKUs
    private var latency: LatencyWindow
    private var inventory: [String: Int64?] = [:]
    private var health: [ServiceHealth] = []

    init(historyLength: Int = 300, feedLength: Int = 25, latencyTicks: Int = 10, skuCount: Int = 16) {
        self.historyLength = historyLength
        feed = RecentOrderFeed(capacity: feedLength)
        skus = RecentSKUs(capacity: skuCount)
        latency = LatencyWindow(ticks: latencyTicks, maxPerTick: PipelineKeys.recentOrdersCap)
        depths = Array(repeating: nil, count: Self.queues.count)
    }

    /// Adds a tick's reading: a new point on every series, and the current values.
    mutating func record(_ reading: DashboardReading) {
        sequence += 1
        var rates = [Int64?](repeating: nil, count: Self.rateSeries.count)
        if let current = reading.totals {
            if let previous = previousTotals, reading.time > previous.time {
                let elapsed = reading.time - previous.time
                rates = Self.rateSeries.map { name in
                    // A counter that went down was reset: no rate for this tick.
                    let delta = (current[name] ?? 0) - (previous.totals[name] ?? 0)
                    return delta >= 0 ? (delta * 1000 + elapsed / 2) / elapsed : nil
                }
            }
            previousTotals = (reading.time, current)
            totals = current
        }
        feed.add(reading.events)
        for event in reading.events { skus.saw(event.sku) }
        latency.add(reading.events.compactMap(\.latencyMilliseconds))
        for (sku, level) in reading.inventory { inventory[sku] = level }
        inventory = inventory.filter { skus.skus.contains($0.key) }
        depths = Self.queues.map { queue, _ in reading.depths[queue] ?? nil }
        health = reading.health
        points.append(Point(time: reading.time, rates: rates, depths: depths,
                            p50: latency.latestPercentile(0.5), p99: latency.latestPercentile(0.99)))
        if points.count > historyLength { points.removeFirst(points.count - historyLength) }
    }

    /// The message for the page: every point when `full`, else the newest.
    func json(full: Bool) -> [UInt8] {
        var writer = JSONWriter(capacity: full ? 16_384 : 4_096)
        writer.beginObject()
        writer.field("type", full ? "snapshot" : "tick")
        writer.field("seq", sequence)
        writer.field("t", points.last?.time ?? 0)
        let shown = full ? points[...] : points.suffix(1)
        writer.beginObject("series")
        series(&writer, "t", shown.map { Optional($0.time) })
        for (index, name) in Self.rateSeries.enumerated() { series(&writer, name, shown.map { $0.rates[index] }) }
        for (index, (_, name)) in Self.queues.enumerated() { series(&writer, name, shown.map { $0.depths[index] }) }
        series(&writer, "p50", shown.map(\.p50))
        series(&writer, "p99", shown.map(\.p99))
        writer.endObject()
        writer.beginObject("totals")
        for (name, value) in totals.sorted(by: { $0.key < $1.key }) { writer.field(name, value) }
        writer.endObject()
        writer.beginObject("depths")
        for ((queue, _), depth) in zip(Self.queues, depths) { optional(&writer, queue, depth) }
        writer.endObject()
        writer.beginObject("latency")
        optional(&writer, "p50", latency.percentile(0.5))
        optional(&writer, "p99", latency.percentile(0.99))
        writer.field("samples", latency.count)
        writer.field("window_s", latency.ticks)
        writer.endObject()
        writer.beginArray("inventory")
        for sku in skus.skus.sorted() {
            writer.beginObject()
            writer.field("sku", sku)
            optional(&writer, "level", inventory[sku] ?? nil)
            writer.endObject()
        }
        writer.endArray()
        writer.beginArray("feed")
        for item in feed.items {
            writer.beginObject()
            writer.field("id", item.id)
            writer.field("sku", item.sku)
            writer.field("qty", item.qty)
            writer.field("state", item.state)
            if !item.reason.isEmpty { writer.field("reason", item.reason) }
            writer.field("notified", item.notified)
            optional(&writer, "latency_ms", item.latencyMilliseconds)
            writer.field("t", item.updated)
            writer.endObject()
        }
        writer.endArray()
        writer.beginArray("health")
        for service in health {
            writer.beginObject()
            writer.field("name", service.name)
            writer.field("status", service.status.rawValue)
            if let milliseconds = service.milliseconds { writer.field("ms", milliseconds) }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    private func series(_ writer: inout JSONWriter, _ name: String, _ values: [Int64?]) {
        writer.beginArray(name)
        for value in values {
            if let value { writer.value(Int(value)) } else { writer.null() }
        }
        writer.endArray()
    }

    private func optional(_ writer: inout JSONWriter, _ name: String, _ value: Int64?) {
        if let value { writer.field(name, value) } else { writer.nullField(name) }
    }
}
