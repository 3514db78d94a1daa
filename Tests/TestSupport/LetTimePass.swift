import Synchronization

/// Why a test lets time pass. Tests order events by the events themselves (gates, event counts,
/// `eventually`); a sleep is left only where time passing is the point, and says which way.
public enum TimePassing: Sendable {
    /// The test plays a slow peer or a slow piece of work, on purpose: what the code under test
    /// must cope with (a client trickling bytes, a handler slower than a deadline).
    case slowPeer
    /// A window in which something must not happen: no event marks an absence, so the test
    /// lets the window pass and then checks that nothing came.
    case quietWindow
    /// A timer of the code under test must run out first; the test cannot observe it otherwise.
    case timerUnderTest
    /// A loop retrying something outside the test's control (an accept that ran out of
    /// descriptors) waits before its next try instead of spinning.
    case retryDelay
    /// The test varies, round by round, when one side acts while the other is busy, so that a race
    /// is met at many points of its window.
    case stagger
}

/// Lets `duration` pass, for `reason`: the one way a test sleeps.
public func letTimePass(_ duration: Duration, because reason: TimePassing) async throws {
    try await Task.sleep(for: duration)
}

/// Suspends until the calling task is cancelled, then throws `CancellationError`: a stand-in
/// for work that only cancellation ends (a handler, a scripted peer holding a connection open),
/// with no timer to outlast.
public func untilCancelled() async throws {
    let parked = Parked()
    await withTaskCancellationHandler {
        await withCheckedContinuation { parked.park($0) }
    } onCancel: {
        parked.release()
    }
    throw CancellationError()
}

/// The continuation `untilCancelled` waits on, resumed once by whichever of the cancellation and
/// the parking comes second.
private final class Parked: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, released: Bool)>((nil, false))

    func park(_ continuation: CheckedContinuation<Void, Never>) {
        let released = state.withLock { state in
            if !state.released { state.continuation = continuation }
            return state.released
        }
        if released { continuation.resume() }
    }

    func release() {
        state.withLock { state in
            state.released = true
            defer { state.continuation = nil }
            return state.continuation
        }?.resume()
    }
}
