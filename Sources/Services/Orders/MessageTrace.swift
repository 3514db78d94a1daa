import Tracing

/// The trace context a pipeline message carries, for its consumers to continue.
///
/// One message holds a batch of orders (`MessageBatch`), each order with a trace of its own, so
/// a message carries two kinds of context, as the OpenTelemetry messaging conventions model a
/// batch: the message's own creation context, the context of the span that published it; and
/// one context per document of the body, the order's (its gateway request span, or its
/// processing span at the processor), from which the order's processing continues the order's
/// own trace. How they travel in AMQP headers is the broker adapter's business.
public struct MessageTrace: Sendable, Equatable {
    /// The publish span's context; nil when there is none.
    public var message: SpanContext?
    /// One entry per document of the body, in the body's order; nil for a document without a
    /// context. Empty when no document has one.
    public var documents: [SpanContext?]

    public init(message: SpanContext? = nil, documents: [SpanContext?] = []) {
        self.message = message
        self.documents = documents
    }

    /// A message with nothing to propagate, as with tracing off.
    public static let none = MessageTrace()

    /// The context of document `index`, the parent of its processing; falls back to the
    /// message's own context (a producer that sent no per-document contexts), else nil.
    public func context(ofDocument index: Int) -> SpanContext? {
        if documents.indices.contains(index), let context = documents[index] { return context }
        return message
    }
}
