/// A handle on an operation being traced, returned by `Tracer.startSpan`.
///
/// A span the sampler dropped is only its `context` (ids for logs and propagation) with nothing
/// behind it: setting attributes, adding events and ending it do nothing and allocate nothing,
/// and attribute values are not even computed (they are autoclosures). A sampled span records
/// into a shared, lock-protected record, so copies of the handle may be used from any task;
/// `end()` hands the record to the span processor once.
public struct Span: Sendable {
    /// The span's identity, also for a span that is not recorded.
    public let context: SpanContext
    let recorder: SpanRecorder?

    init(context: SpanContext, recorder: SpanRecorder?) {
        self.context = context
        self.recorder = recorder
    }

    /// Whether the span records what it is given (it was sampled and has not ended).
    public var isRecording: Bool { recorder?.isRecording ?? false }

    /// Renames the span, for a name that is known only once the operation is under way (an HTTP
    /// server span named by its method until the router has matched the route); `name` is
    /// computed only when recording.
    public func updateName(_ name: @autoclosure () -> String) {
        recorder?.updateName(name())
    }

    /// Sets attribute `key`, replacing an earlier value; `value` is computed only when recording.
    public func setAttribute(_ key: String, _ value: @autoclosure () -> AttributeValue) {
        recorder?.setAttribute(key, value())
    }

    /// Adds an event named `name` now, with the attributes `attributes` sets (called only when
    /// recording).
    public func addEvent(_ name: String, attributes: (inout Attributes) -> Void = { _ in }) {
        recorder?.addEvent(name, attributes: attributes)
    }

    /// Adds a link to `context` (OpenTelemetry prefers links given at start; this is for links
    /// learnt later, such as messages that joined a batch after its span began).
    public func addLink(_ link: @autoclosure () -> SpanLink) {
        recorder?.addLink(link())
    }

    /// Sets the outcome: `.error` for a failure, `.ok` only for an explicit success. Once `.ok`,
    /// the status no longer changes; `.unset` is ignored.
    public func setStatus(_ status: SpanStatus) {
        recorder?.setStatus(status)
    }

    /// Records `error` as an `exception` event (with `exception.type` and `exception.message`)
    /// and sets the status to `.error` with the error's description.
    public func recordError(_ error: any Error) {
        guard let recorder else { return }
        let message = String(describing: error)
        recorder.addEvent("exception") { attributes in
            attributes["exception.type"] = .string(String(reflecting: type(of: error)))
            attributes["exception.message"] = .string(message)
        }
        recorder.setStatus(.error(description: message))
    }

    /// Ends the span now; calling it again does nothing.
    public func end() {
        recorder?.end()
    }

    /// The span of the task running now, bound by `Tracer.withSpan` or `Span.$current.withValue`:
    /// the default parent of new spans, and where logs find `trace_id` and `span_id`.
    @TaskLocal public static var current: Span?
}
