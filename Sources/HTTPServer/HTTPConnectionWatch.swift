import Synchronization

/// What others may do to one served connection: shutdown closes it while it waits idle for a
/// request, and its handler is stopped when the client goes away or the request deadline
/// passes.
///
/// Shared by the connection task, the connection's hang-up handler, its deadline timer and
/// shutdown. Most run on the connection's event loop, but a handler may move to another
/// executor and shutdown runs anywhere, hence the lock. It is the connection's own, so the
/// transitions of every request (idle, reading, handling) contend with nobody; it is held only
/// to read or change the state.
final class HTTPConnectionWatch: Sendable {
    /// How a handler's run ended.
    enum Outcome {
        /// In time, with the client still there: its response is to be sent.
        case inTime
        /// The client went away; nothing is to be sent.
        case clientGone
        /// The deadline passed; `responder` answers the client (503) and closes the connection.
        case deadlinePassed(responder: Task<Void, Never>)
    }

    private enum State {
        /// Waiting for the next request: shutdown may close the connection.
        case idle
        /// Reading a request, or writing a response.
        case reading
        case handling
        case clientGone
        case deadlinePassed(Task<Void, Never>)
    }

    private struct Guarded {
        var state = State.reading
        /// The connection task, cancelled to stop its handler.
        var task: Task<Void, Never>?
        /// Set when the task was to be cancelled before it was attached.
        var cancelled = false
        /// Closes the WebSocket the connection was upgraded to, for shutdown.
        var goAway: (@Sendable () -> Void)?
    }

    private let guarded = Mutex(Guarded())

    /// Attaches the connection task, which runs the handlers; cancels it at once when a stop
    /// came first.
    func attach(_ task: Task<Void, Never>) {
        let cancelNow = guarded.withLock { guarded in
            guarded.task = task
            return guarded.cancelled
        }
        if cancelNow { task.cancel() }
    }

    /// The connection starts waiting for its next request. False when `shuttingDown` says the
    /// server is stopping, so the connection should close rather than wait; checked under the
    /// lock after the state is set, so that shutdown, which sets the flag before it looks for
    /// idle connections, either finds this one idle or has its flag seen here.
    func enterIdle(shuttingDown: () -> Bool) -> Bool {
        guarded.withLock { guarded in
            if case .reading = guarded.state { guarded.state = .idle }
            return !shuttingDown()
        }
    }

    /// The connection now serves a WebSocket, which shutdown closes with `goAway`. False when
    /// `shuttingDown` says the server is stopping (checked after the hook is set, as in
    /// `enterIdle`), so the caller should go away at once.
    func upgraded(goAway: @escaping @Sendable () -> Void, shuttingDown: () -> Bool) -> Bool {
        guarded.withLock { guarded in
            guarded.goAway = goAway
            return !shuttingDown()
        }
    }

    /// How shutdown closes the connection's WebSocket, once it was upgraded.
    var goAway: (@Sendable () -> Void)? { guarded.withLock { $0.goAway } }

    /// Bytes of a request arrived: the connection is no longer idle.
    func leaveIdle() {
        guarded.withLock { guarded in
            if case .idle = guarded.state { guarded.state = .reading }
        }
    }

    /// Whether the connection waits idle for a request, for shutdown.
    var isIdle: Bool {
        guarded.withLock { guarded in
            if case .idle = guarded.state { return true }
            return false
        }
    }

    /// A request was read and its handler is about to run; false when the client has already
    /// gone, so that it is not run at all.
    func handlerStarts() -> Bool {
        guarded.withLock { guarded in
            guard case .reading = guarded.state else { return false }
            guarded.state = .handling
            return true
        }
    }

    /// The peer closed or reset the connection. Returns true when that stopped a running
    /// handler (its task is cancelled); otherwise the connection's read sees the end.
    func peerHungUp() -> Bool {
        let stopped = guarded.withLock { guarded -> Bool in
            switch guarded.state {
            case .idle, .reading:
                guarded.state = .clientGone
                return false
            case .handling:
                guarded.state = .clientGone
                return true
            case .clientGone, .deadlinePassed:
                return false
            }
        }
        if stopped { cancelTask() }
        return stopped
    }

    /// The request deadline passed: when the handler still runs, `respond` starts the task that
    /// answers the client and the handler's task is cancelled.
    func deadlinePassed(_ respond: () -> Task<Void, Never>) {
        let stopped = guarded.withLock { guarded -> Bool in
            guard case .handling = guarded.state else { return false }
            guarded.state = .deadlinePassed(respond())
            return true
        }
        if stopped { cancelTask() }
    }

    /// The handler returned (or threw): how its request ends.
    func handlerEnded() -> Outcome {
        guarded.withLock { guarded in
            switch guarded.state {
            case .handling, .reading, .idle:
                guarded.state = .reading
                return .inTime
            case .clientGone:
                return .clientGone
            case .deadlinePassed(let responder):
                return .deadlinePassed(responder: responder)
            }
        }
    }

    private func cancelTask() {
        let task = guarded.withLock { guarded in
            guarded.cancelled = true
            return guarded.task
        }
        task?.cancel()
    }
}
