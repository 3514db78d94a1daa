/// Everything recorded about a span that has ended: what span processors and exporters get.
public struct FinishedSpan: Sendable, Hashable {
    public let name: String
    public let context: SpanContext
    /// The parent's id, nil for a root span.
    public let parentSpanID: SpanID?
    /// Whether the parent came from another process; meaningless without a parent.
    public let parentIsRemote: Bool
    public let kind: SpanKind
    public let scope: InstrumentationScope
    /// Nanoseconds since the Unix epoch.
    public let startTimeUnixNano: UInt64
    /// Nanoseconds since the Unix epoch.
    public let endTimeUnixNano: UInt64
    public let attributes: Attributes
    public let events: [SpanEvent]
    /// Events refused beyond the span's limit.
    public let droppedEventsCount: Int
    public let links: [SpanLink]
    /// Links refused beyond the span's limit.
    public let droppedLinksCount: Int
    public let status: SpanStatus

    public init(
        name: String, context: SpanContext, parentSpanID: SpanID?, parentIsRemote: Bool, kind: SpanKind,
        scope: InstrumentationScope, startTimeUnixNano: UInt64, endTimeUnixNano: UInt64,
        attributes: Attributes, events: [SpanEvent], droppedEventsCount: Int, links: [SpanLink],
        droppedLinksCount: Int, status: SpanStatus
    ) {
        self.name = name
        self.context = context
        self.parentSpanID = parentSpanID
        self.parentIsRemote = parentIsRemote
        self.kind = kind
        self.scope = scope
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.attributes = attributes
        self.events = events
        self.droppedEventsCount = droppedEventsCount
        self.links = links
        self.droppedLinksCount = droppedLinksCount
        self.status = status
    }
}
