/// Sends finished spans somewhere, for the batch span processor.
public protocol SpanExporter: Sendable {
    /// Exports `spans`, retrying as its protocol allows, and gives up at `deadline`.
    func export(_ spans: [FinishedSpan], deadline: ContinuousClock.Instant) async -> SpanExportResult
    /// Releases what the exporter holds (connections); later exports may fail.
    func shutdown() async
}

/// The outcome of one export.
public enum SpanExportResult: Sendable, Hashable {
    case success
    /// The spans were not delivered: why, for a log line.
    case failure(String)
}
