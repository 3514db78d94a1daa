import Synchronization

import Transport

/// Raised once to stop something; waits and sleeps end early then. The services' shutdown uses
/// one to stop starting and serving, and each consumer one so that stopping does not sit out a
/// retry's backoff (up to a lease) while holding the message.
final class StopSignal: Sendable {
    /// A lock, not an actor: the cancellation handler that removes a waiter runs synchronously.
    private let state = Mutex<(raised: Bool, waiters: [UInt64: CheckedContinuation<Void, Never>], next: UInt64)>((false, [:], 0))

    var isRaised: Bool { state.withLock { $0.raised } }

    func raise() {
        let waiters = state.withLock { state in
            state.raised = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Sleeps for `delay`, timed by `loops`, or less when raised (or cancelled) meanwhile.
    func sleep(for delay: Duration, on loops: EventLoopGroup) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await loops.sleep(for: delay) }
            group.addTask { await self.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once raised, or when the calling task is cancelled.
    func wait() async {
        let id = state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.raised || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
