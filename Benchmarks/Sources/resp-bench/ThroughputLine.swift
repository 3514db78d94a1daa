import Foundation

/// The line a client benchmark prints for one command, `CMD rps=N p50_ms=X p99_ms=Y`: the form
/// the bench scripts turn redis-benchmark's CSV into, so both are read the same way.
enum ThroughputLine {
    /// Prints `requests` commands of `command` done in `seconds`, with the latency of every
    /// batch (each command of a batch waits as long as the batch).
    static func print(_ command: String, requests: Int, seconds: Double, latencies: [Duration]) {
        let sorted = latencies.sorted()
        let p50 = sorted[sorted.count / 2] / .microseconds(1) / 1000
        let p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)] / .microseconds(1) / 1000
        Swift.print(String(format: "%@ rps=%.0f p50_ms=%.3f p99_ms=%.3f", command, Double(requests) / seconds, p50, p99))
    }
}
