import Synchronization

/// Group commit for the gateway. A request that arrives while `lanes` batches are already being
/// committed waits; when a lane's commit ends, the first waiting request takes the lane over and
/// commits itself together with everything waiting behind it (up to `maxBatch`): one claim script,
/// one broker message and one accept script for the lot. Under load the broker's and Redis's
/// per-operation costs are shared by many orders; a lone request goes out at once, as a batch of
/// one. Batches are committed by the requests' own tasks (leader and followers), so a commit runs
/// on the executor of the connection that led it, with no task created per batch.
///
/// Under load a new leader first waits `gatherDelay` (a group-commit delay, as in PostgreSQL's
/// `commit_delay`). The requests a batch answers come back from their clients spread over a
/// fraction of a millisecond; without the wait the first of them leads a batch of a few, the rest
/// queue for the next free lane, and the clients settle into more groups than there are lanes,
/// each waiting a whole commit for a lane before its own commit starts.
final class OrderBatcher: Sendable {
    /// Commits a batch; returns one outcome per submission, in order.
    typealias Commit = @Sendable ([GatewaySubmission]) async -> [GatewayOutcome]

    /// What a waiting request is woken with.
    private enum Wake {
        /// Its batch was committed by another request.
        case outcome(GatewayOutcome)
        /// A lane is free and it leads the next batch.
        case lead
    }

    private struct Waiting {
        let submission: GatewaySubmission
        let continuation: CheckedContinuation<Wake, Never>
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
    private let gatherDelay: Duration
    private let sleep: Sleep
    private let commit: Commit

    /// Waits a gather delay; returns early when the task is cancelled.
    typealias Sleep = @Sendable (Duration) async -> Void

    /// `gatherDelay` applies only while another batch is being committed (a lone request goes out
    /// at once) and not when a full batch is already waiting; zero turns it off. `sleep` waits it.
    init(lanes: Int, maxBatch: Int, gatherDelay: Duration, sleep: @escaping Sleep, commit: @escaping Commit) {
        precondition(lanes > 0 && maxBatch > 0, "a batcher needs at least one lane and room for one order")
        precondition(gatherDelay >= .zero, "a gather delay cannot be negative")
        self.lanes = lanes
        self.maxBatch = maxBatch
        self.gatherDelay = gatherDelay
        self.sleep = sleep
        self.commit = commit
    }

    /// Requests waiting for a lane.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Waits for `submission`'s batch to be committed and returns its outcome. The wait is bounded
    /// by the commits ahead of it and its own, each bounded by one gather delay and its timeouts:
    /// the Redis command timeout, the broker confirm timeout, and the accept write's retries (at
    /// most half the in-flight TTL after the claim).
    func submit(_ submission: GatewaySubmission) async -> GatewayOutcome {
        let wake = await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
            let lead = state.withLock { state in
                guard state.busyLanes < lanes else {
                    state.waiting.append(Waiting(submission: submission, continuation: continuation))
                    return false
                }
                state.busyLanes += 1
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        switch wake {
        case .outcome(let outcome): return outcome
        case .lead: return await lead(with: submission)
        }
    }

    /// Commits `own` with the requests waiting behind it, answers them, and hands the lane to the
    /// next waiting request (or frees it).
    private func lead(with own: GatewaySubmission) async -> GatewayOutcome {
        if gatherDelay > .zero, state.withLock({ $0.busyLanes > 1 && $0.waiting.count < maxBatch - 1 }) {
            // Cancelled, it just stops waiting: the batch goes out with whoever has arrived.
            await sleep(gatherDelay)
        }
        let followers = state.withLock { state in
            let count = min(maxBatch - 1, state.waiting.count)
            defer { state.waiting.removeFirst(count) }
            return Array(state.waiting.prefix(count))
        }
        let outcomes = await commit([own] + followers.map(\.submission))
        precondition(outcomes.count == followers.count + 1, "a commit answers every submission of its batch")
        for (follower, outcome) in zip(followers, outcomes.dropFirst()) { follower.continuation.resume(returning: .outcome(outcome)) }
        let next = state.withLock { state -> Waiting? in
            guard !state.waiting.isEmpty else {
                state.busyLanes -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return outcomes[0]
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
