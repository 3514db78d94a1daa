import Synchronization
import Testing
import TestSupport
import Transport
@testable import Tracing

/// An exporter that keeps the batches it is given and answers with `result`; a test of the
/// processor's queueing and scheduling, not of any wire format.
final class KeepingExporter: SpanExporter {
    private let batches = Mutex<[[FinishedSpan]]>([])
    let result: SpanExportResult

    init(result: SpanExportResult = .success) {
        self.result = result
    }

    var exported: [[FinishedSpan]] { batches.withLock { $0 } }

    func export(_ spans: [FinishedSpan], deadline: ContinuousClock.Instant) async -> SpanExportResult {
        batches.withLock { $0.append(spans) }
        return result
    }

    func shutdown() async {}
}

/// An exporter whose collector never answers: every export waits for its deadline and fails.
final class StalledExporter: SpanExporter {
    private let count = Atomic<Int>(0)
    var calls: Int { count.load(ordering: .relaxed) }

    func export(_ spans: [FinishedSpan], deadline: ContinuousClock.Instant) async -> SpanExportResult {
        count.add(1, ordering: .relaxed)
        try? await EventLoopGroup.shared.next().sleep(until: deadline)
        return .failure("no answer")
    }

    func shutdown() async {}
}

@Suite struct BatchSpanProcessorTests {
    private func endSpans(_ count: Int, tracer: Tracer) {
        for index in 0..<count { tracer.startSpan("span \(index)", parent: nil).end() }
    }

    @Test func aFullQueueDropsAndCountsWithoutWaiting() async {
        let exporter = KeepingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: .init(maxQueueSize: 4, maxExportBatchSize: 2, scheduleDelay: .seconds(60)))
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        endSpans(10, tracer: tracer)
        #expect(processor.statistics == .init(exported: 0, dropped: 6, failed: 0, queued: 4))
        #expect(await processor.forceFlush())
        #expect(processor.statistics == .init(exported: 4, dropped: 6, failed: 0, queued: 0))
        #expect(exporter.exported.map { $0.map(\.name) } == [["span 0", "span 1"], ["span 2", "span 3"]])
    }

    @Test func aFullBatchIsExportedWithoutWaitingForTheDelay() async throws {
        let exporter = KeepingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: .init(maxQueueSize: 100, maxExportBatchSize: 3, scheduleDelay: .seconds(60)))
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        let run = Task { await processor.run() }
        endSpans(2, tracer: tracer)
        try? await EventLoopGroup.shared.sleep(for: .milliseconds(100))
        #expect(exporter.exported.isEmpty, "two spans wait for the batch to fill or the delay to pass")
        endSpans(1, tracer: tracer)
        try await eventually("the full batch's export") { exporter.exported.count == 1 }
        #expect(exporter.exported.first?.count == 3)
        run.cancel()
        await run.value
    }

    @Test func theScheduleDelayExportsAPartialBatch() async throws {
        let exporter = KeepingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: .init(maxExportBatchSize: 100, scheduleDelay: .milliseconds(50)))
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        let run = Task { await processor.run() }
        endSpans(2, tracer: tracer)
        try await eventually("the partial batch's export") { exporter.exported.flatMap { $0 }.count == 2 }
        endSpans(1, tracer: tracer)
        // And it keeps exporting at each delay.
        try await eventually("the next delay's export") { exporter.exported.flatMap { $0 }.count == 3 }
        processor.shutdown()
        await run.value
    }

    @Test func shutdownAndCancellationFlushWhatIsQueued() async {
        for viaCancellation in [false, true] {
            let exporter = KeepingExporter()
            let processor = BatchSpanProcessor(exporter: exporter, configuration: .init(maxExportBatchSize: 100, scheduleDelay: .seconds(60)))
            let tracer = Tracer(sampler: .alwaysOn, processor: processor)
            let run = Task { await processor.run() }
            endSpans(5, tracer: tracer)
            if viaCancellation { run.cancel() } else { processor.shutdown() }
            await run.value
            #expect(exporter.exported.flatMap { $0 }.count == 5, "cancellation: \(viaCancellation)")
            #expect(processor.statistics.exported == 5)
        }
    }

    @Test func theFlushOnShutdownIsBoundedByOneExportTimeout() async {
        // A collector that never answers: each export waits for its deadline, then fails.
        let exporter = StalledExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: .init(maxExportBatchSize: 2, scheduleDelay: .seconds(60), exportTimeout: .milliseconds(200)))
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        let run = Task { await processor.run() }
        endSpans(10, tracer: tracer)
        processor.shutdown()
        await run.value
        #expect(exporter.calls == 1, "the first batch used the whole flush deadline")
        #expect(processor.statistics == .init(exported: 0, dropped: 0, failed: 10, queued: 0))
    }

    @Test func failedExportsAreCounted() async {
        let processor = BatchSpanProcessor(exporter: KeepingExporter(result: .failure("down")), configuration: .init(maxExportBatchSize: 2))
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        endSpans(3, tracer: tracer)
        #expect(await processor.forceFlush() == false)
        #expect(processor.statistics == .init(exported: 0, dropped: 0, failed: 3, queued: 0))
    }
}
