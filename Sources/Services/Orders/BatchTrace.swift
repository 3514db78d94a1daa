import Tracing

/// The spans of the orders of one batch (committed, decided or notified together) and where the
/// batch's own spans go: a batch's Redis script or publish serves all its orders but can have
/// one parent only, so it is the child of the first order whose span is recorded — the batch's
/// work is recorded whenever one of its orders is, in that order's trace — and a publish links
/// to every order's span. Other orders see the batch through events on their own spans.
struct BatchTrace {
    /// One span per order, in the batch's order; nil for an order without one.
    let items: [Span?]
    /// The parent of the batch's spans: the first recording item span, else the first with a
    /// valid context (tracing off, a caller's context passed through), else nil.
    let parent: Span?

    init(_ items: [Span?]) {
        self.items = items
        parent = items.first { $0?.isRecording == true }.flatMap { $0 } ?? items.first { $0?.context.isValid == true }.flatMap { $0 }
    }

    /// Whether some order has a context worth propagating.
    var isTraced: Bool { parent != nil }

    /// The items' contexts, for a message's per-document trace; nil entries for orders without one.
    var contexts: [SpanContext?] { items.map { $0.flatMap { $0.context.isValid ? $0.context : nil } } }

    /// Runs `body` with the batch's parent as the current span, so the spans `body` starts (a
    /// Redis script's) and the lines it logs belong to it.
    func run<Result>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Result) async rethrows -> Result {
        guard let parent else { return try await body() }
        return try await Span.$current.withValue(parent, operation: body)
    }

    /// Adds the event `name` to every order's span, with the attributes `attributes` sets.
    func addEvent(_ name: String, attributes: (inout Attributes) -> Void = { _ in }) {
        for item in items { item?.addEvent(name, attributes: attributes) }
    }
}
