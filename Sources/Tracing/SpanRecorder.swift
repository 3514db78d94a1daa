import Synchronization

/// The mutable record behind a sampled span. Any copy of the span's handle may record from any
/// task, so the record is behind a lock, held only to copy values in or out.
final class SpanRecorder: Sendable {
    private struct State {
        var name: String
        var attributes: Attributes
        var events: [SpanEvent] = []
        var droppedEvents = 0
        var links: [SpanLink]
        var droppedLinks = 0
        var status = SpanStatus.unset
        var ended = false
    }

    let context: SpanContext
    let parent: SpanContext?
    let kind: SpanKind
    let clock: SpanClock
    private let tracer: Tracer
    private let state: Mutex<State>

    init(name: String, context: SpanContext, parent: SpanContext?, kind: SpanKind, links: [SpanLink], clock: SpanClock, tracer: Tracer) {
        self.context = context
        self.parent = parent
        self.kind = kind
        self.clock = clock
        self.tracer = tracer
        let limits = tracer.limits
        var state = State(name: name, attributes: Attributes(limit: limits.attributeCount), links: Array(links.prefix(limits.linkCount)))
        state.droppedLinks = max(links.count - limits.linkCount, 0)
        self.state = Mutex(state)
    }

    var isRecording: Bool { state.withLock { !$0.ended } }

    func updateName(_ name: String) {
        state.withLock { state in
            guard !state.ended else { return }
            state.name = name
        }
    }

    func setAttribute(_ key: String, _ value: AttributeValue) {
        state.withLock { state in
            guard !state.ended else { return }
            state.attributes[key] = value
        }
    }

    func addEvent(_ name: String, attributes build: (inout Attributes) -> Void) {
        let time = clock.unixNanoNow()
        var attributes = Attributes(limit: tracer.limits.attributeCount)
        build(&attributes)
        let event = SpanEvent(name: name, timeUnixNano: time, attributes: attributes)
        let limit = tracer.limits.eventCount
        state.withLock { state in
            guard !state.ended else { return }
            if state.events.count < limit { state.events.append(event) } else { state.droppedEvents += 1 }
        }
    }

    func addLink(_ link: SpanLink) {
        let limit = tracer.limits.linkCount
        state.withLock { state in
            guard !state.ended else { return }
            if state.links.count < limit { state.links.append(link) } else { state.droppedLinks += 1 }
        }
    }

    func setStatus(_ status: SpanStatus) {
        state.withLock { state in
            guard !state.ended, status != .unset, state.status != .ok else { return }
            state.status = status
        }
    }

    func end() {
        let endTime = clock.unixNanoNow()
        let finished = state.withLock { state -> FinishedSpan? in
            guard !state.ended else { return nil }
            state.ended = true
            return FinishedSpan(
                name: state.name, context: context, parentSpanID: parent?.spanID, parentIsRemote: parent?.isRemote ?? false,
                kind: kind, scope: tracer.scope, startTimeUnixNano: clock.startUnixNano, endTimeUnixNano: endTime,
                attributes: state.attributes, events: state.events, droppedEventsCount: state.droppedEvents,
                links: state.links, droppedLinksCount: state.droppedLinks, status: state.status)
        }
        if let finished { tracer.processor?.onEnd(finished) }
    }
}
