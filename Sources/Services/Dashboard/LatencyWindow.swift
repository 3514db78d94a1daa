/// Accepted → notified latencies of the last few ticks, for the p50 and p99 the dashboard shows:
/// one bucket per tick, the oldest dropped, and at most `maxPerTick` samples kept per tick (the
/// newest), so the window holds bounded memory at any rate.
struct LatencyWindow: Sendable, Equatable {
    let ticks: Int
    let maxPerTick: Int
    private var buckets: [[Int64]] = []

    init(ticks: Int, maxPerTick: Int) {
        self.ticks = ticks
        self.maxPerTick = maxPerTick
    }

    /// Starts the next tick's bucket with `samples`.
    mutating func add(_ samples: [Int64]) {
        buckets.append(Array(samples.suffix(maxPerTick)))
        if buckets.count > ticks { buckets.removeFirst() }
    }

    /// Samples in the window.
    var count: Int { buckets.reduce(0) { $0 + $1.count } }

    /// The `quantile` (0...1) of the window's samples, nearest rank; nil when there are none.
    func percentile(_ quantile: Double) -> Int64? {
        Self.percentile(quantile, of: buckets.flatMap { $0 })
    }

    /// The latest tick's `quantile`.
    func latestPercentile(_ quantile: Double) -> Int64? {
        buckets.last.flatMap { Self.percentile(quantile, of: $0) }
    }

    static func percentile(_ quantile: Double, of samples: [Int64]) -> Int64? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let rank = Int((quantile * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
