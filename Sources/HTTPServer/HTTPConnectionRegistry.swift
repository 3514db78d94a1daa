import Synchronization
import Transport

/// The connections a server is serving or refusing, and their tasks, so that shutdown can close,
/// cancel and wait for them.
///
/// Shared by the accept loop, every connection task and `shutdown`, hence the lock; it is held
/// only to update the table, never across a suspension.
final class HTTPConnectionRegistry: Sendable {
    /// What to do with a connection just accepted.
    enum Admission: Equatable {
        /// Serve it; `id` names it in the registry.
        case serve(id: Int)
        /// Answer 503 and close it; `id` names it in the registry.
        case refuse(id: Int)
        /// Close it at once: shutting down, or too many refusals are in progress.
        case close
    }

    private struct Entry {
        let connection: TCPConnection
        var task: Task<Void, Never>?
        /// Between requests: shutdown may close it.
        var idle = false
        let refusal: Bool
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var served = 0
        var refusals = 0
        var nextID = 0
        var shuttingDown = false
        /// Callers of `waitUntilEmpty`, resumed when the last entry goes.
        var emptyWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0
    }

    private let state = Mutex(State())

    /// Connections being served (refusals not included).
    var servedCount: Int { state.withLock { $0.served } }

    /// Whether `beginShutdown()` was called.
    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Decides on a connection just accepted and records it unless it is to be closed at once.
    func admit(_ connection: TCPConnection, maxConnections: Int, maxRefusals: Int) -> Admission {
        state.withLock { state in
            guard !state.shuttingDown else { return .close }
            let refusal = state.served >= maxConnections
            if refusal && state.refusals >= maxRefusals { return .close }
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(connection: connection, refusal: refusal)
            if refusal { state.refusals += 1 } else { state.served += 1 }
            return refusal ? .refuse(id: id) : .serve(id: id)
        }
    }

    /// Records the task working on entry `id`, so shutdown can cancel it; nothing happens when the
    /// task has already finished and removed its entry.
    func attach(_ task: Task<Void, Never>, to id: Int) {
        state.withLock { $0.entries[id]?.task = task }
    }

    /// Forgets entry `id`: its task is done with the connection.
    func remove(_ id: Int) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard let entry = state.entries.removeValue(forKey: id) else { return [] }
            if entry.refusal { state.refusals -= 1 } else { state.served -= 1 }
            return state.entries.isEmpty ? takeWaiters(&state) : []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Marks a connection idle (closable by shutdown) or busy; false when shutting down, in which
    /// case an idle connection should close instead of waiting.
    func setIdle(_ id: Int, _ idle: Bool) -> Bool {
        state.withLock { state in
            state.entries[id]?.idle = idle
            return !state.shuttingDown
        }
    }

    /// Refuses further connections and returns those that can be closed at once: idle ones and
    /// refusals.
    func beginShutdown() -> [TCPConnection] {
        state.withLock { state in
            state.shuttingDown = true
            return state.entries.values.filter { $0.idle || $0.refusal }.map(\.connection)
        }
    }

    /// Closes every connection still registered and cancels its task. Closing comes first, so
    /// that a handler ending on cancellation cannot get its error response out.
    func cancelAll() {
        let entries = state.withLock { Array($0.entries.values) }
        for entry in entries {
            entry.connection.close()
            entry.task?.cancel()
        }
    }

    /// Forgets every entry, for tasks that did not end when cancelled; their connections are
    /// already closed.
    func forgetAll() {
        let waiters = state.withLock { state in
            state.entries = [:]
            state.served = 0
            state.refusals = 0
            return takeWaiters(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until no entry is left or `deadline` passes; true when none is left.
    func waitUntilEmpty(before deadline: ContinuousClock.Instant) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.emptied()
                return true
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || state.withLock { $0.entries.isEmpty }
        }
    }

    /// Returns once no entry is left, or when the task is cancelled.
    private func emptied() async {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    // Cancellation is checked under the lock: the handler below may already have
                    // run and found no waiter to resume.
                    if state.entries.isEmpty || Task.isCancelled { return true }
                    state.emptyWaiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.emptyWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    private func takeWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        defer { state.emptyWaiters = [:] }
        return Array(state.emptyWaiters.values)
    }
}
