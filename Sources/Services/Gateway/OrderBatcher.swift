import Synchronization
import Tracing
import Transport

/// Group commit for the gateway, with admission control and request deadlines.
///
/// A request that arrives while `lanes` batches are already being committed waits; when a lane's
/// commit ends, the first waiting request takes the lane over and commits itself together with
/// everything waiting behind it (up to `maxBatch`): one claim script, one broker message and one
/// accept script for the lot. Under load the broker's and Redis's per-operation costs are shared
/// by many orders; a lone request goes out at once, as a batch of one. Batches are committed by
/// the requests' own tasks (leader and followers), on the executor of the connection that led.
///
/// Under load a new leader first waits `gatherDelay` (a group-commit delay, as in PostgreSQL's
/// `commit_delay`). The requests a batch answers come back from their clients spread over a
/// fraction of a millisecond; without the wait the first of them leads a batch of a few, the rest
/// queue for the next free lane, and the clients settle into more groups than there are lanes,
/// each waiting a whole commit for a lane before its own commit starts.
///
/// Waiting is bounded so that a hung Redis or broker cannot make requests (and their connections
/// and memory) pile up: at most `maxWaiting` requests wait, later ones are answered 503 at once;
/// a waiting request whose deadline passes, or whose task is cancelled (its client hung up), is
/// answered 503 and leaves the list. A request is committed only if its claim starts before its
/// deadline, so nothing is ever committed for a client that has been told 503 or has given up.
final class OrderBatcher: Sendable {
    /// Commits a batch; returns one outcome per submission, in order.
    typealias Commit = @Sendable ([GatewaySubmission]) async -> [GatewayOutcome]
    /// Waits a gather delay; returns early when the task is cancelled.
    typealias Sleep = @Sendable (Duration) async -> Void

    /// What a waiting request is woken with.
    private enum Wake {
        /// Its batch was committed by another request, or it was turned away.
        case outcome(GatewayOutcome)
        /// A lane is free and it leads the next batch.
        case lead
    }

    private struct Waiting {
        let id: UInt64
        let submission: GatewaySubmission
        let continuation: CheckedContinuation<Wake, Never>
        /// Answers 503 at the deadline unless the request is taken into a batch first.
        var timer: Scheduled?
    }

    private struct State {
        /// Oldest first.
        var waiting: [Waiting] = []
        var busyLanes = 0
        var nextID: UInt64 = 0
    }

    /// A lock, not an actor: submitting must not hop executors, and each critical section only
    /// moves a few entries.
    private let state = Mutex(State())
    private let lanes: Int
    private let maxBatch: Int
    private let maxWaiting: Int
    private let gatherDelay: Duration
    private let loops: EventLoopGroup
    private let sleep: Sleep
    private let commit: Commit

    /// `gatherDelay` applies only while another batch is being committed (a lone request goes out
    /// at once) and not when a full batch is already waiting; zero turns it off. `sleep` waits it.
    /// Deadline timers run on `loops` (the calling request's loop when it is one of them).
    init(lanes: Int, maxBatch: Int, maxWaiting: Int, gatherDelay: Duration, loops: EventLoopGroup, sleep: @escaping Sleep, commit: @escaping Commit) {
        precondition(lanes > 0 && maxBatch > 0 && maxWaiting >= 0, "a batcher needs at least one lane and room for one order")
        precondition(gatherDelay >= .zero, "a gather delay cannot be negative")
        self.lanes = lanes
        self.maxBatch = maxBatch
        self.maxWaiting = maxWaiting
        self.gatherDelay = gatherDelay
        self.loops = loops
        self.sleep = sleep
        self.commit = commit
    }

    /// Requests waiting for a lane.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Waits for `submission`'s batch to be committed and returns its outcome; 503 when the gateway
    /// is full, when `deadline` passes before the request's claim starts, or when the calling task
    /// is cancelled first.
    func submit(_ submission: GatewaySubmission, deadline: ContinuousClock.Instant) async -> GatewayOutcome {
        let id = state.withLock { state in
            state.nextID &+= 1
            return state.nextID
        }
        let loop = loops.currentOrNext()
        let wake = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                let admission = state.withLock { state -> Wake? in
                    // Checked under the lock that the cancellation handler takes too, so a request
                    // cancelled now is either refused here or found in the list by the handler.
                    if Task.isCancelled { return .outcome(.unavailable(reason: Self.clientGone)) }
                    guard ContinuousClock.now < deadline else { return .outcome(.unavailable(reason: Self.deadlinePassed)) }
                    guard state.busyLanes < lanes else {
                        guard state.waiting.count < maxWaiting else { return .outcome(.unavailable(reason: Self.overloaded)) }
                        state.waiting.append(Waiting(id: id, submission: submission, continuation: continuation))
                        return nil
                    }
                    state.busyLanes += 1
                    return .lead
                }
                if let admission { return continuation.resume(returning: admission) }
                let timer = loop.scheduleTask(at: deadline) { [self] in turnAway(id, reason: Self.deadlinePassed) }
                let kept = state.withLock { state in
                    guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return false }
                    state.waiting[index].timer = timer
                    return true
                }
                if !kept { timer.cancel() }
            }
        } onCancel: {
            turnAway(id, reason: Self.clientGone)
        }
        switch wake {
        case .outcome(let outcome): return outcome
        case .lead: return await lead(with: submission, deadline: deadline)
        }
    }

    /// Answers waiting request `id` with 503 and drops it, unless it has left the list already.
    private func turnAway(_ id: UInt64, reason: String) {
        let removed = state.withLock { state -> Waiting? in
            guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiting.remove(at: index)
        }
        guard let removed else { return }
        removed.timer?.cancel()
        removed.continuation.resume(returning: .outcome(.unavailable(reason: reason)))
    }

    /// Commits `own` (unless its client is gone or its deadline passed meanwhile) with the requests
    /// waiting behind it, answers them, and hands the lane to the next waiting request (or frees it).
    private func lead(with own: GatewaySubmission, deadline: ContinuousClock.Instant) async -> GatewayOutcome {
        if gatherDelay > .zero, state.withLock({ $0.busyLanes > 1 && $0.waiting.count < maxBatch - 1 }) {
            // Cancelled, it just stops waiting: the batch goes out with whoever has arrived.
            await sleep(gatherDelay)
        }
        let ownOutcome: GatewayOutcome? =
            Task.isCancelled ? .unavailable(reason: Self.clientGone)
            : ContinuousClock.now < deadline ? nil : .unavailable(reason: Self.deadlinePassed)
        let followers = state.withLock { state in
            let count = min(maxBatch - (ownOutcome == nil ? 1 : 0), state.waiting.count)
            defer { state.waiting.removeFirst(count) }
            return Array(state.waiting.prefix(count))
        }
        for follower in followers { follower.timer?.cancel() }
        let batch = (ownOutcome == nil ? [own] : []) + followers.map(\.submission)
        // In a task of its own, which the leader's cancellation (its client hanging up) does not
        // reach: the batch's other requests still have clients waiting for it.
        let outcomes = batch.isEmpty ? [] : await Task(executorPreference: loops.currentOrNext()) { [commit] in await commit(batch) }.value
        precondition(outcomes.count == batch.count, "a commit answers every submission of its batch")
        for (follower, outcome) in zip(followers, outcomes.suffix(followers.count)) { follower.continuation.resume(returning: .outcome(outcome)) }
        let next = state.withLock { state -> Waiting? in
            guard !state.waiting.isEmpty else {
                state.busyLanes -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        if let next {
            next.timer?.cancel()
            next.continuation.resume(returning: .lead)
        }
        return ownOutcome ?? outcomes[0]
    }

    static let clientGone = "client gone"
    static let deadlinePassed = "request deadline passed before the order was claimed"
    static let overloaded = "gateway overloaded"
}

/// A validated order submission waiting for its batch.
struct GatewaySubmission: Sendable {
    let order: Order
    /// The order's canonical JSON, as published.
    let payload: [UInt8]
    let fingerprint: String
    let idempotencyKey: String?
    /// The request's span: the order's creation context, which the message carries.
    let span: Span?
}
