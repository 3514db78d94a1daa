import Synchronization

/// Counters one service exposes on `/metrics/prometheus`. A lock rather than an actor: increments
/// come from every request and delivery and must not suspend.
public final class ServiceMetrics: Sendable {
    private let counters = Mutex<[Key: Double]>([:])
    public let service: String

    private struct Key: Hashable {
        var name: String
        var labels: [String]
    }

    public init(service: String) {
        self.service = service
    }

    /// Adds `amount` to the counter `name` with `labels` (name/value pairs, in a fixed order).
    public func increment(_ name: String, _ labels: [(String, String)] = [], by amount: Double = 1) {
        let key = Key(name: name, labels: labels.flatMap { [$0.0, $0.1] })
        counters.withLock { $0[key, default: 0] += amount }
    }

    /// The counters as a Prometheus text page, plus `gauges` read at scrape time.
    public func render(gauges: [(name: String, help: String, value: Double)] = []) -> String {
        let snapshot = counters.withLock { $0 }
        var page = PrometheusText()
        page.add("order_pipeline_up", .gauge, help: "1 while the \(service) service runs.", samples: [(labels: [("service", service)], value: 1)])
        for name in Set(snapshot.keys.map(\.name)).sorted() {
            let samples = snapshot.filter { $0.key.name == name }
                .sorted { $0.key.labels.lexicographicallyPrecedes($1.key.labels) }
                .map { entry in
                    (labels: stride(from: 0, to: entry.key.labels.count, by: 2).map { (entry.key.labels[$0], entry.key.labels[$0 + 1]) }, value: entry.value)
                }
            page.add(name, .counter, help: "Counted by the \(service) service.", samples: samples)
        }
        for gauge in gauges {
            page.add(gauge.name, .gauge, help: gauge.help, value: gauge.value)
        }
        return page.text
    }
}
