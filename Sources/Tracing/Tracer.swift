/// Starts spans: draws their ids, asks the sampler whether to record them, and hands the ended
/// ones to the span processor.
///
/// ```swift
/// let parent = SpanContext(traceparent: request.headers.values("traceparent"), tracestate: request.headers.values("tracestate"))
/// try await tracer.withSpan("POST /orders", kind: .server, parent: parent) { span in
///     span.setAttribute("http.request.method", "POST")
///     ...   // spans started in here, by this task or its child tasks, are children of this one
/// }
/// ```
public final class Tracer: Sendable {
    /// Decides which spans are recorded.
    public let sampler: Sampler
    /// Receives every sampled span when it ends; with nil, spans are sampled and propagated as
    /// the sampler decides but recorded nowhere.
    public let processor: (any SpanProcessor)?
    /// The instrumentation scope the spans are reported under.
    public let scope: InstrumentationScope
    /// How much one span keeps.
    public let limits: SpanLimits
    /// Whether tracing is off altogether (`OTEL_SDK_DISABLED`): spans then draw no ids, are
    /// never recorded, and carry their parent's context unchanged, so propagation passes the
    /// caller's trace through.
    public let isDisabled: Bool
    private let ids = IDGenerator()

    /// A tracer sampling with `sampler` and handing ended spans to `processor`.
    public init(sampler: Sampler = .parentBased(root: .alwaysOn), processor: (any SpanProcessor)?,
                scope: InstrumentationScope = InstrumentationScope(name: "order-pipeline"), limits: SpanLimits = SpanLimits()) {
        self.sampler = sampler
        self.processor = processor
        self.scope = scope
        self.limits = limits
        self.isDisabled = false
    }

    private init(disabledWithScope scope: InstrumentationScope) {
        sampler = .alwaysOff
        processor = nil
        self.scope = scope
        limits = SpanLimits()
        isDisabled = true
    }

    /// A tracer that traces nothing and costs next to nothing.
    public static let disabled = Tracer(disabledWithScope: InstrumentationScope(name: "order-pipeline"))

    /// Starts a span; call `end()` on it when the operation is over.
    ///
    /// - Parameters:
    ///   - parent: the parent context: by default the current task's span; a remote context
    ///     extracted from a message; nil for a root span (a new trace).
    ///   - links: spans this one relates to without being their child, such as the request
    ///     spans of the orders a batch message carries.
    public func startSpan(_ name: String, kind: SpanKind = .internal, parent: SpanContext? = Span.current?.context, links: [SpanLink] = []) -> Span {
        if isDisabled { return Span(context: parent ?? .invalid, recorder: nil) }
        let parent = parent.flatMap { $0.isValid ? $0 : nil }
        let traceID = parent?.traceID ?? ids.traceID()
        let sampled = sampler.shouldSample(parent: parent, traceID: traceID)
        let context = SpanContext(traceID: traceID, spanID: ids.spanID(), flags: sampled ? .sampled : [],
                                  traceState: parent?.traceState ?? TraceState())
        guard sampled, processor != nil else { return Span(context: context, recorder: nil) }
        let recorder = SpanRecorder(name: name, context: context, parent: parent, kind: kind, links: links, clock: .now(), tracer: self)
        return Span(context: context, recorder: recorder)
    }

    /// Runs `body` in a new span that is the task's current span meanwhile, then ends it. A
    /// thrown error is recorded on the span (status error) and rethrown.
    public func withSpan<Result>(
        _ name: String, kind: SpanKind = .internal, parent: SpanContext? = Span.current?.context, links: [SpanLink] = [],
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Span) async throws -> Result
    ) async rethrows -> Result {
        let span = startSpan(name, kind: kind, parent: parent, links: links)
        defer { span.end() }
        do {
            return try await Span.$current.withValue(span) { try await body(span) }
        } catch {
            span.recordError(error)
            throw error
        }
    }
}

/// Bounds on what one span keeps, so a runaway loop cannot grow a span without limit; what is
/// refused is counted as dropped in the export. The defaults are OpenTelemetry's.
public struct SpanLimits: Sendable, Hashable {
    public var attributeCount: Int
    public var eventCount: Int
    public var linkCount: Int

    public init(attributeCount: Int = 128, eventCount: Int = 128, linkCount: Int = 128) {
        self.attributeCount = attributeCount
        self.eventCount = eventCount
        self.linkCount = linkCount
    }
}

/// Receives each sampled span as it ends. Called on the ending task: must not block.
public protocol SpanProcessor: Sendable {
    func onEnd(_ span: FinishedSpan)
}
