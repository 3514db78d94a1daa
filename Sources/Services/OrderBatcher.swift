import Synchronization

/// Group commit for the gateway. A request that arrives while `lanes` batches are already being
/// committed waits, and the next free lane commits every request waiting then (up to `maxBatch`)
/// together: one claim script, one broker message and one accept script for the lot. Under load
/// the broker's and Redis's per-operation costs are shared by many orders; a lone request still
/// goes out at once, as a batch of one.
final class OrderBatcher: Sendable {
    /// Commits a batch; returns one outcome per submission, in order.
    typealias Commit = @Sendable ([GatewaySubmission]) async -> [GatewayOutcome]

    private struct Waiting {
        let submission: GatewaySubmission
        let continuation: CheckedContinuation<GatewayOutcome, Never>
    }

    private struct State {
        var waiting: [Waiting] = []
        var busyLanes = 0
    }

    /// A lock, not an actor: submitting must not hop executors, and each critical section only
    /// moves a few entries.
    private let state = Mutex(State())
    private let lanes: Int
    private let maxBatch: Int
    private let commit: Commit

    init(lanes: Int, maxBatch: Int, commit: @escaping Commit) {
        precondition(lanes > 0 && maxBatch > 0, "a batcher needs at least one lane and room for one order")
        self.lanes = lanes
        self.maxBatch = maxBatch
        self.commit = commit
    }

    /// Waits for `submission`'s batch to be committed and returns its outcome. The wait is bounded
    /// by the commit's own timeouts (Redis command timeout, broker confirm timeout).
    func submit(_ submission: GatewaySubmission) async -> GatewayOutcome {
        await withCheckedContinuation { continuation in
            let startLane = state.withLock { state in
                state.waiting.append(Waiting(submission: submission, continuation: continuation))
                guard state.busyLanes < lanes else { return false }
                state.busyLanes += 1
                return true
            }
            if startLane { Task { await self.runLane() } }
        }
    }

    /// Commits waiting batches until none is left, then frees the lane.
    private func runLane() async {
        while let batch = nextBatch() {
            let outcomes = await commit(batch.map(\.submission))
            precondition(outcomes.count == batch.count, "a commit answers every submission of its batch")
            for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(returning: outcome) }
        }
    }

    private func nextBatch() -> [Waiting]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.busyLanes -= 1
                return nil
            }
            let count = min(maxBatch, state.waiting.count)
            let batch = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return batch
        }
    }
}

/// A validated order submission waiting for its batch.
struct GatewaySubmission: Sendable {
    let order: Order
    /// The order's canonical JSON, as published.
    let payload: [UInt8]
    let fingerprint: String
    let idempotencyKey: String?
}
