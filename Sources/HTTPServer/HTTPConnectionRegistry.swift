import Synchronization
import Transport

/// The connections a server is serving or answering over its limit, and their tasks, so that
/// shutdown can close, cancel and wait for them.
///
/// Shared by the accept loop, every connection task and `shutdown`, hence the lock; it is held
/// only to update the table, never across a suspension. Connections take it only when they
/// come and go: what changes per request is in each connection's own `HTTPConnectionWatch`.
final class HTTPConnectionRegistry: Sendable {
    /// What to do with a connection just accepted.
    enum Admission: Equatable {
        /// Serve it; `id` names it in the registry.
        case serve(id: Int)
        /// Over the connection limit: answer it from the reserve (503, or a health check) and
        /// close it. `limitReached` is set for the first one since the server was last well
        /// below its limit, which is worth a report.
        case overLimit(id: Int, limitReached: Bool)
        /// Close it at once: shutting down, or the reserve is in use.
        case close
    }

    private struct Entry {
        let connection: TCPConnection
        /// Whether it waits idle for a request, which shutdown may close.
        let watch: HTTPConnectionWatch
        var task: Task<Void, Never>?
        let overLimit: Bool
    }

    /// What a waiter waits for.
    private enum Awaited {
        case empty
        case shutdown
    }

    private struct Waiter {
        let awaited: Awaited
        let continuation: CheckedContinuation<Bool, Never>
        var timer: Scheduled?
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var served = 0
        var overLimit = 0
        var nextID = 0
        var shuttingDown = false
        /// Whether reaching the limit was reported; again once served drops below 90 % of it.
        var limitReported = false
        var waiters: [Int: Waiter] = [:]
        var nextWaiterID = 0

        func holds(_ awaited: Awaited) -> Bool {
            switch awaited {
            case .empty: entries.isEmpty
            case .shutdown: shuttingDown
            }
        }

        /// Takes the waiters whose condition now holds.
        mutating func takeWaiters(for awaited: Awaited) -> [Waiter] {
            let ready = waiters.filter { $0.value.awaited == awaited }
            for id in ready.keys { waiters[id] = nil }
            return Array(ready.values)
        }
    }

    /// Connections served at once.
    let connectionLimit: Int
    /// Connections over the limit answered at once: the reserve.
    let overLimitReserve: Int
    private let state = Mutex(State())
    /// `State.shuttingDown`, read without the lock by every connection between requests.
    private let shuttingDown = Atomic<Bool>(false)

    init(connectionLimit: Int, overLimitReserve: Int) {
        self.connectionLimit = connectionLimit
        self.overLimitReserve = overLimitReserve
    }

    /// Connections being served (those over the limit not included).
    var servedCount: Int { state.withLock { $0.served } }

    /// Whether `beginShutdown()` was called.
    var isShuttingDown: Bool { shuttingDown.load(ordering: .sequentiallyConsistent) }

    /// Decides on a connection just accepted and records it, with the watch of its state, unless
    /// it is to be closed at once.
    func admit(_ connection: TCPConnection, watch: HTTPConnectionWatch) -> Admission {
        state.withLock { state in
            guard !state.shuttingDown else { return .close }
            let over = state.served >= connectionLimit
            if over && state.overLimit >= overLimitReserve { return .close }
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(connection: connection, watch: watch, overLimit: over)
            guard over else {
                state.served += 1
                return .serve(id: id)
            }
            state.overLimit += 1
            defer { state.limitReported = true }
            return .overLimit(id: id, limitReached: !state.limitReported)
        }
    }

    /// Records the task working on entry `id`, so shutdown can cancel it; nothing happens when the
    /// task has already finished and removed its entry.
    func attach(_ task: Task<Void, Never>, to id: Int) {
        state.withLock { $0.entries[id]?.task = task }
    }

    /// Forgets entry `id`: its task is done with the connection.
    func remove(_ id: Int) {
        let waiters = state.withLock { state -> [Waiter] in
            guard let entry = state.entries.removeValue(forKey: id) else { return [] }
            if entry.overLimit { state.overLimit -= 1 } else { state.served -= 1 }
            if state.served * 10 < connectionLimit * 9 { state.limitReported = false }
            return state.entries.isEmpty ? state.takeWaiters(for: .empty) : []
        }
        resume(waiters, with: true)
    }

    /// Refuses further connections and returns those that can be closed at once (idle ones and
    /// those over the limit) and how to close the WebSockets (with 1001).
    func beginShutdown() -> (closable: [TCPConnection], goAway: [@Sendable () -> Void]) {
        // Set before looking for idle connections: see `HTTPConnectionWatch.enterIdle`.
        shuttingDown.store(true, ordering: .sequentiallyConsistent)
        let (closable, goAway, waiters) = state.withLock { state in
            state.shuttingDown = true
            return (state.entries.values.filter { $0.overLimit || $0.watch.isIdle }.map(\.connection),
                    state.entries.values.compactMap(\.watch.goAway), state.takeWaiters(for: .shutdown))
        }
        resume(waiters, with: true)
        return (closable, goAway)
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
            state.overLimit = 0
            return state.takeWaiters(for: .empty)
        }
        resume(waiters, with: true)
    }

    /// Waits until no entry is left or `deadline` passes, timed by `loop`; true when none is left.
    func waitUntilEmpty(before deadline: ContinuousClock.Instant, on loop: EventLoop) async -> Bool {
        await wait(for: .empty, before: deadline, on: loop)
    }

    /// Waits until shutdown begins or `deadline` passes, timed by `loop`; true when shutting down.
    func waitForShutdown(before deadline: ContinuousClock.Instant, on loop: EventLoop) async -> Bool {
        await wait(for: .shutdown, before: deadline, on: loop)
    }

    /// Waits until `awaited` holds (true), or `deadline` passes or the task is cancelled (false).
    private func wait(for awaited: Awaited, before deadline: ContinuousClock.Instant, on loop: EventLoop) async -> Bool {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { state -> Bool? in
                    if state.holds(awaited) { return true }
                    // Checked under the lock: the cancellation handler below may already have
                    // run and found no waiter to resume.
                    if Task.isCancelled { return false }
                    state.waiters[id] = Waiter(awaited: awaited, continuation: continuation)
                    return nil
                }
                if let now {
                    continuation.resume(returning: now)
                    return
                }
                let timer = loop.scheduleTask(at: deadline) { self.end(id, with: false) }
                let waiting = state.withLock { state -> Bool in
                    guard state.waiters[id] != nil else { return false }
                    state.waiters[id]?.timer = timer
                    return true
                }
                if !waiting { timer.cancel() }
            }
        } onCancel: {
            end(id, with: false)
        }
    }

    /// Ends the wait of waiter `id`, if it still waits.
    private func end(_ id: Int, with value: Bool) {
        guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return }
        resume([waiter], with: value)
    }

    private func resume(_ waiters: [Waiter], with value: Bool) {
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: value)
        }
    }
}
