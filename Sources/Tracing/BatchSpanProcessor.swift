import Bytes
import Synchronization
import Transport

/// Collects ended spans in a bounded queue and exports them in batches from `run()`.
///
/// Ending a span never waits: when the queue is full the span is dropped and counted. `run()`
/// exports a batch as soon as `maxExportBatchSize` spans are queued, or `scheduleDelay` after
/// the previous export, each export bounded by `exportTimeout` (retries included). When `run()`
/// is cancelled, or `shutdown()` is called, it exports what is queued within one `exportTimeout`
/// in all (what is left then counts as failed) and returns. Its timers are the event loop's.
///
/// ```swift
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await processor.run() }
///     ...   // the service; cancelling the group flushes the spans and ends run()
/// }
/// ```
public final class BatchSpanProcessor: SpanProcessor {
    /// The standard `OTEL_BSP_*` settings, with their defaults.
    public struct Configuration: Sendable, Hashable {
        /// Most spans waiting for export (`OTEL_BSP_MAX_QUEUE_SIZE`, 2048).
        public var maxQueueSize: Int
        /// Most spans in one export (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, 512).
        public var maxExportBatchSize: Int
        /// Longest a span waits for a batch to fill (`OTEL_BSP_SCHEDULE_DELAY`, 5 s).
        public var scheduleDelay: Duration
        /// Longest one export may take, retries included (`OTEL_BSP_EXPORT_TIMEOUT`, 30 s).
        public var exportTimeout: Duration

        public init(maxQueueSize: Int = 2048, maxExportBatchSize: Int = 512, scheduleDelay: Duration = .seconds(5), exportTimeout: Duration = .seconds(30)) {
            self.maxQueueSize = max(maxQueueSize, 1)
            self.maxExportBatchSize = min(max(maxExportBatchSize, 1), self.maxQueueSize)
            self.scheduleDelay = scheduleDelay
            self.exportTimeout = exportTimeout
        }
    }

    /// What became of the spans handed to the processor.
    public struct Statistics: Sendable, Hashable {
        /// Spans the exporter delivered.
        public var exported: Int
        /// Spans refused because the queue was full.
        public var dropped: Int
        /// Spans whose export failed (after its retries).
        public var failed: Int
        /// Spans waiting in the queue now.
        public var queued: Int
    }

    public let configuration: Configuration
    public let exporter: any SpanExporter
    private let loop: EventLoop

    private struct State {
        var queue = FIFO<FinishedSpan>()
        var waiter: CheckedContinuation<Void, Never>?
        /// Counts waits, so a timer of an earlier wait cannot end a later one.
        var wait = 0
        var timer: Scheduled?
        /// A wake-up that came while `run()` was not waiting: the next wait returns at once.
        var woken = false
        var shuttingDown = false
    }

    private let state = Mutex(State())
    private let exportedCount = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)

    /// A processor exporting with `exporter`, timed by `loop`.
    public init(exporter: any SpanExporter, configuration: Configuration = Configuration(), loop: EventLoop = EventLoopGroup.shared.next()) {
        self.exporter = exporter
        self.configuration = configuration
        self.loop = loop
    }

    public var statistics: Statistics {
        Statistics(exported: exportedCount.load(ordering: .relaxed), dropped: droppedCount.load(ordering: .relaxed),
                   failed: failedCount.load(ordering: .relaxed), queued: state.withLock { $0.queue.count })
    }

    /// Queues `span`, or drops it when the queue is full; never waits.
    public func onEnd(_ span: FinishedSpan) {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.queue.count < configuration.maxQueueSize else {
                droppedCount.add(1, ordering: .relaxed)
                return nil
            }
            state.queue.append(span)
            guard state.queue.count == configuration.maxExportBatchSize else { return nil }
            return Self.takeWaiter(&state)
        }
        wake?.resume()
    }

    /// Exports batches until cancelled or shut down, then exports what is left and returns.
    public func run() async {
        while !Task.isCancelled && !state.withLock({ $0.shuttingDown }) {
            await waitForBatch(until: .now + configuration.scheduleDelay)
            if Task.isCancelled { break }
            await exportQueued()
        }
        // The flush must not be cut short by the cancellation that ended the loop, so it runs
        // in a task of its own, awaited here; one export timeout bounds it all, so a collector
        // that is down cannot hold a stopping service for a timeout per batch.
        // The deadline is read once the task runs: read before, a task started late on a busy
        // machine found it passed and dropped every span without trying.
        _ = await Task { await self.exportQueued(until: .now + self.configuration.exportTimeout) }.value
    }

    /// Asks `run()` to export what is queued and return.
    public func shutdown() {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.shuttingDown = true
            return Self.takeWaiter(&state)
        }
        wake?.resume()
    }

    /// Exports everything queued now, from the calling task; returns whether every export
    /// succeeded.
    @discardableResult
    public func forceFlush() async -> Bool {
        await exportQueued()
    }

    /// Exports the queued spans in batches until the queue is empty, or until `deadline` when
    /// given: the spans still queued then are dropped and counted as failed.
    @discardableResult
    private func exportQueued(until deadline: ContinuousClock.Instant? = nil) async -> Bool {
        var succeeded = true
        while true {
            if let deadline, ContinuousClock.now >= deadline {
                let abandoned = state.withLock { state -> Int in
                    defer { state.queue.removeAll() }
                    return state.queue.count
                }
                failedCount.add(abandoned, ordering: .relaxed)
                return succeeded && abandoned == 0
            }
            let batch = state.withLock { state -> [FinishedSpan] in
                var batch: [FinishedSpan] = []
                batch.reserveCapacity(min(state.queue.count, configuration.maxExportBatchSize))
                while batch.count < configuration.maxExportBatchSize, let span = state.queue.popFirst() { batch.append(span) }
                return batch
            }
            guard !batch.isEmpty else { return succeeded }
            let batchDeadline = ContinuousClock.now + configuration.exportTimeout
            switch await exporter.export(batch, deadline: deadline.map { min($0, batchDeadline) } ?? batchDeadline) {
            case .success:
                exportedCount.add(batch.count, ordering: .relaxed)
            case .failure:
                failedCount.add(batch.count, ordering: .relaxed)
                succeeded = false
            }
        }
    }

    /// Waits until a full batch is queued, shutdown is asked, the task is cancelled or
    /// `deadline` passes, whichever is first; the deadline is a timer of the event loop.
    private func waitForBatch(until deadline: ContinuousClock.Instant) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { state -> Int? in
                    if state.woken || state.shuttingDown || state.queue.count >= configuration.maxExportBatchSize {
                        state.woken = false
                        return nil
                    }
                    state.waiter = continuation
                    state.wait += 1
                    return state.wait
                }
                guard let wait else { return continuation.resume() }
                let timer = loop.scheduleTask(at: deadline) { [self] in wakeUp(wait: wait) }
                let stale = state.withLock { state -> Bool in
                    guard state.wait == wait, state.waiter != nil else { return true }
                    state.timer = timer
                    return false
                }
                if stale { timer.cancel() }
            }
        } onCancel: {
            wake()
        }
        state.withLock { state -> Scheduled? in
            defer { state.timer = nil }
            return state.timer
        }?.cancel()
    }

    /// Ends wait number `wait` if it is still under way.
    private func wakeUp(wait: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.wait == wait else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Resumes `run()`'s wait, or makes its next wait return at once.
    private func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            Self.takeWaiter(&state)
        }
        waiter?.resume()
    }

    private static func takeWaiter(_ state: inout State) -> CheckedContinuation<Void, Never>? {
        guard let waiter = state.waiter else {
            state.woken = true
            return nil
        }
        state.waiter = nil
        return waiter
    }
}
