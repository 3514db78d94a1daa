import Synchronization
import Testing
@testable import Tracing

/// Keeps what it is given, for tests of the span API.
final class CollectingProcessor: SpanProcessor {
    private let collected = Mutex<[FinishedSpan]>([])
    var spans: [FinishedSpan] { collected.withLock { $0 } }
    func onEnd(_ span: FinishedSpan) { collected.withLock { $0.append(span) } }
}

struct Failure: Error, CustomStringConvertible {
    var description: String { "it failed" }
}

@Suite struct SpanTests {
    @Test func aSampledSpanRecordsEverything() throws {
        let processor = CollectingProcessor()
        let tracer = Tracer(sampler: .alwaysOn, processor: processor, scope: InstrumentationScope(name: "test", version: "1"))
        let span = tracer.startSpan("POST /orders", kind: .server, parent: nil)
        #expect(span.isRecording)
        span.setAttribute("http.request.method", "POST")
        span.setAttribute("http.response.status_code", 202)
        span.setAttribute("ratio", 0.5)
        span.setAttribute("ok", true)
        span.setAttribute("tags", .stringArray(["a", "b"]))
        span.setAttribute("http.request.method", "PUT")
        span.addEvent("claimed") { $0["order.count"] = 3 }
        span.setStatus(.error(description: "nacked"))
        span.end()
        span.setAttribute("late", "ignored")
        span.end()
        let finished = try #require(processor.spans.first)
        #expect(processor.spans.count == 1, "ending twice hands the span over once")
        #expect(finished.name == "POST /orders" && finished.kind == .server && finished.scope.name == "test")
        #expect(finished.parentSpanID == nil)
        #expect(finished.attributes.map(\.key) == ["http.request.method", "http.response.status_code", "ratio", "ok", "tags"])
        #expect(finished.attributes["http.request.method"] == "PUT")
        #expect(finished.attributes["late"] == nil)
        #expect(finished.events.map(\.name) == ["claimed"])
        #expect(finished.events.first?.attributes["order.count"] == 3)
        #expect(finished.status == .error(description: "nacked"))
        #expect(finished.endTimeUnixNano >= finished.startTimeUnixNano)
        #expect(finished.startTimeUnixNano > 1_600_000_000 * 1_000_000_000, "Unix epoch nanoseconds")
        #expect(finished.context.isSampled && finished.context.traceID.isValid && finished.context.spanID.isValid)
    }

    @Test func aSpanIsRenamedUntilItEnds() throws {
        let processor = CollectingProcessor()
        let span = Tracer(sampler: .alwaysOn, processor: processor).startSpan("GET", kind: .server, parent: nil)
        span.updateName("GET /orders/{id}")
        span.end()
        span.updateName("too late")
        #expect(processor.spans.map(\.name) == ["GET /orders/{id}"])
        var computed = false
        Tracer(sampler: .alwaysOff, processor: processor).startSpan("x", parent: nil).updateName({ computed = true; return "y" }())
        #expect(!computed, "an unsampled span does not compute its new name")
    }

    @Test func anUnsampledSpanHasIdsAndRecordsNothing() {
        let processor = CollectingProcessor()
        let tracer = Tracer(sampler: .alwaysOff, processor: processor)
        let span = tracer.startSpan("dropped", parent: nil)
        #expect(!span.isRecording)
        #expect(span.context.traceID.isValid && span.context.spanID.isValid && !span.context.isSampled)
        var computed = false
        span.setAttribute("expensive", { computed = true; return "x" }())
        span.addEvent("e") { _ in computed = true }
        span.end()
        #expect(!computed, "attribute values are not computed for a span that does not record")
        #expect(processor.spans.isEmpty)
    }

    @Test func childrenInheritTheTraceAndTheTaskLocalCarriesTheCurrentSpan() async throws {
        let processor = CollectingProcessor()
        let tracer = Tracer(sampler: .parentBased(root: .alwaysOn), processor: processor)
        let remote = try #require(SpanContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "congo=t61rcWkgMzE"))
        #expect(Span.current == nil)
        let (outer, inner) = await tracer.withSpan("outer", kind: .server, parent: remote) { outer in
            let inner = await tracer.withSpan("inner") { inner in
                #expect(Span.current?.context == inner.context)
                return inner.context
            }
            #expect(Span.current?.context == outer.context)
            return (outer.context, inner)
        }
        #expect(Span.current == nil)
        #expect(outer.logFields == ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": outer.spanID.hexString])
        #expect(SpanContext.invalid.logFields.isEmpty)
        #expect(outer.traceID == remote.traceID && inner.traceID == remote.traceID)
        #expect(outer.traceState == remote.traceState, "tracestate is carried to the children")
        let spans = processor.spans
        #expect(spans.map(\.name) == ["inner", "outer"])
        #expect(spans[0].parentSpanID == outer.spanID && !spans[0].parentIsRemote)
        #expect(spans[1].parentSpanID == remote.spanID && spans[1].parentIsRemote)
    }

    @Test func anUnsampledRemoteParentIsFollowed() throws {
        let processor = CollectingProcessor()
        let tracer = Tracer(sampler: .parentBased(root: .alwaysOn), processor: processor)
        let remote = try #require(SpanContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        let span = tracer.startSpan("follows", parent: remote)
        #expect(!span.isRecording && span.context.traceID == remote.traceID && span.context.spanID != remote.spanID)
        #expect(span.context.traceparent.hasSuffix("-00"))
    }

    @Test func withSpanRecordsAThrownError() async throws {
        let processor = CollectingProcessor()
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        await #expect(throws: Failure.self) {
            try await tracer.withSpan("fails") { _ in throw Failure() }
        }
        let span = try #require(processor.spans.first)
        #expect(span.status == .error(description: "it failed"))
        #expect(span.events.first?.name == "exception")
        #expect(span.events.first?.attributes["exception.message"] == "it failed")
    }

    @Test func okIsFinalAndUnsetIsIgnored() throws {
        let processor = CollectingProcessor()
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        let span = tracer.startSpan("s", parent: nil)
        span.setStatus(.ok)
        span.setStatus(.error(description: "late"))
        span.setStatus(.unset)
        span.end()
        #expect(processor.spans.first?.status == .ok)
    }

    @Test func linksAndLimits() throws {
        let processor = CollectingProcessor()
        let tracer = Tracer(sampler: .alwaysOn, processor: processor, limits: SpanLimits(attributeCount: 2, eventCount: 1, linkCount: 2))
        let links = (1...3).map { SpanLink(SpanContext(traceID: TraceID(high: 0, low: UInt64($0)), spanID: SpanID(UInt64($0)), flags: .sampled, isRemote: true)) }
        let span = tracer.startSpan("publish", kind: .producer, parent: nil, links: links)
        for key in ["a", "b", "c", "d"] { span.setAttribute(key, "v") }
        span.setAttribute("a", "replaced")
        span.addEvent("one")
        span.addEvent("two")
        span.end()
        let finished = try #require(processor.spans.first)
        #expect(finished.links.map(\.context.spanID.value) == [1, 2] && finished.droppedLinksCount == 1)
        #expect(finished.attributes.map(\.key) == ["a", "b"] && finished.attributes.droppedCount == 2)
        #expect(finished.attributes["a"] == "replaced")
        #expect(finished.events.count == 1 && finished.droppedEventsCount == 1)
    }

    @Test func disabledTracingPassesTheParentThrough() throws {
        let remote = try #require(SpanContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let span = Tracer.disabled.startSpan("nothing", parent: remote)
        #expect(!span.isRecording && span.context == remote)
        #expect(Tracer.disabled.startSpan("root", parent: nil).context == .invalid)
    }
}
