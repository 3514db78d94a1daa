import Synchronization

/// Which half of a socket a wait is for: `read` also covers accept, `write` also covers connect.
enum IODirection {
    case read
    case write
}

/// Readiness of one socket, shared between the tasks using it and its event loop.
///
/// The socket is registered edge-triggered, so an edge that arrives while nobody waits must be
/// remembered (`ready`) or it would be lost. A task calls `wait` only after its syscall returned
/// EAGAIN; if an edge arrived since, it returns at once and the task retries the syscall.
/// At most one task waits per direction (one reader and one writer may run concurrently).
///
/// A `Mutex` guards the state because the loop thread, the waiting task, a cancelling task, a
/// timer and `close()` all race to resume the same continuation, which must happen exactly once.
final class Readiness: Sendable {
    private struct Waiter {
        var continuation: UnsafeContinuation<Void, Error>
        var token: UInt64
        var timer: UInt64?
    }

    private struct Half {
        var ready = false
        var waiter: Waiter?

        /// Hands a readiness edge to the waiter, or remembers it when nobody waits.
        mutating func signal() -> Waiter? {
            guard let waiter else {
                ready = true
                return nil
            }
            self.waiter = nil
            return waiter
        }
    }

    private struct State {
        var read = Half()
        var write = Half()
        var closed = false
        /// Called once when the peer hangs up; see `onPeerHangUp`.
        var hangUpHandler: (@Sendable () -> Void)?

        subscript(direction: IODirection) -> Half {
            get { direction == .read ? read : write }
            set { if direction == .read { read = newValue } else { write = newValue } }
        }
    }

    /// Why a wait ended without readiness; mapped to a `TransportError` by `wait`.
    private enum Interruption: Error {
        case closed
        case timedOut
    }

    let loop: EventLoop
    private let state = Mutex(State())
    /// Sticky once the kernel reported the peer's FIN, a hang-up or an error: from then on a
    /// read must not wait for another edge, because none will come.
    private let hungUp = Atomic<Bool>(false)
    private let lastToken = Atomic<UInt64>(0)

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// Whether the peer closed its side or the socket failed; reads then never wait for an edge.
    var peerHungUp: Bool { hungUp.load(ordering: .acquiring) }

    /// Whether a task waits for `direction` now; tests wait on it to know an operation has reached its wait.
    func hasWaiter(for direction: IODirection) -> Bool { state.withLock { $0[direction].waiter != nil } }

    /// Called by the loop thread with the epoll event mask.
    func handle(events: UInt32) {
        let hangUp = events & (Epoll.rdhup | Epoll.hup | Epoll.err) != 0
        if hangUp { hungUp.store(true, ordering: .releasing) }
        let readable = events & (Epoll.in | Epoll.rdhup | Epoll.hup | Epoll.err) != 0
        let writable = events & (Epoll.out | Epoll.hup | Epoll.err) != 0
        let (reader, writer, hangUpHandler) = state.withLock { state -> (Waiter?, Waiter?, (@Sendable () -> Void)?) in
            defer { if hangUp { state.hangUpHandler = nil } }
            return (readable ? state.read.signal() : nil, writable ? state.write.signal() : nil, hangUp ? state.hangUpHandler : nil)
        }
        resume(reader, with: nil)
        resume(writer, with: nil)
        hangUpHandler?()
    }

    /// Installs `handler` (nil removes it), to be called once on the loop thread when the peer
    /// hangs up; false, installing nothing, when it already has or the socket is closed. The
    /// check is made under the lock `handle(events:)` takes the handler under, after it has
    /// recorded the hang-up, so a hang-up is never missed.
    func onPeerHangUp(_ handler: (@Sendable () -> Void)?) -> Bool {
        state.withLock { state in
            guard let handler else {
                state.hangUpHandler = nil
                return true
            }
            guard !state.closed, !peerHungUp else { return false }
            state.hangUpHandler = handler
            return true
        }
    }

    /// Fails both waiters and every later wait with `TransportError.closed`.
    func close() {
        let (reader, writer) = state.withLock { state -> (Waiter?, Waiter?) in
            state.closed = true
            // Closing here is not the peer hanging up; the handler's captures are released.
            state.hangUpHandler = nil
            defer {
                state.read.waiter = nil
                state.write.waiter = nil
            }
            return (state.read.waiter, state.write.waiter)
        }
        resume(reader, with: Interruption.closed)
        resume(writer, with: Interruption.closed)
    }

    /// Suspends until `direction` sees a readiness edge newer than the caller's EAGAIN.
    ///
    /// - Throws: `CancellationError` if the task is cancelled, `TransportError.timedOut` once
    ///   `deadline` (monotonic ns) passes, `TransportError.closed` when the socket is closed.
    ///   `address` is only formatted for an error, keeping it off the path of every wait.
    func wait(for direction: IODirection, deadline: UInt64?, operation: String, address: @autoclosure () -> String?) async throws {
        let token = lastToken.wrappingAdd(1, ordering: .relaxed).newValue
        do {
            try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, Error>) in
                    park(continuation, direction: direction, token: token, deadline: deadline)
                }
            } onCancel: {
                interrupt(direction, token: token, with: CancellationError())
            }
        } catch Interruption.closed {
            throw TransportError.closed(operation: operation)
        } catch Interruption.timedOut {
            throw TransportError.timedOut(operation: operation, address: address())
        }
    }

    private func park(_ continuation: UnsafeContinuation<Void, Error>, direction: IODirection, token: UInt64, deadline: UInt64?) {
        enum Outcome { case parked, resume, fail(Error) }
        let outcome = state.withLock { state -> Outcome in
            if state.closed { return .fail(Interruption.closed) }
            if state[direction].ready {
                state[direction].ready = false
                return .resume
            }
            // Checked under the lock: a cancellation handler that ran before this point found no
            // waiter to resume, but the task was already marked cancelled.
            if Task.isCancelled { return .fail(CancellationError()) }
            precondition(state[direction].waiter == nil, "Transport: two tasks wait to \(direction) on one socket at once")
            state[direction].waiter = Waiter(continuation: continuation, token: token)
            return .parked
        }
        switch outcome {
        case .resume: continuation.resume()
        case .fail(let error): continuation.resume(throwing: error)
        case .parked:
            guard let deadline else { return }
            let timer = loop.schedule(at: deadline) { [self] in
                interrupt(direction, token: token, with: Interruption.timedOut)
            }
            let stillWaiting = state.withLock { state -> Bool in
                guard state[direction].waiter?.token == token else { return false }
                state[direction].waiter?.timer = timer
                return true
            }
            if !stillWaiting { loop.cancelTimer(timer) }
        }
    }

    /// Resumes the waiter identified by `token`, if it still waits, with `error`.
    private func interrupt(_ direction: IODirection, token: UInt64, with error: Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard state[direction].waiter?.token == token else { return nil }
            defer { state[direction].waiter = nil }
            return state[direction].waiter
        }
        resume(waiter, with: error)
    }

    private func resume(_ waiter: Waiter?, with error: Error?) {
        guard let waiter else { return }
        if let timer = waiter.timer { loop.cancelTimer(timer) }
        if let error {
            waiter.continuation.resume(throwing: error)
        } else {
            waiter.continuation.resume()
        }
    }
}
