import Bytes
import Synchronization
import Transport

/// One server-side WebSocket connection, as the handler of an `HTTPRouter.webSocket` route sees
/// it: send messages, read the peer's, close.
///
/// ```swift
/// router.webSocket("/live") { request, socket in
///     for try await message in socket.messages { try await socket.send(message) }   // echo
/// }
/// ```
///
/// The server answers pings, pings a silent peer (`WebSocketServerConfiguration.pingInterval`)
/// and closes it when it does not answer, enforces the size limits (1009) and UTF-8 (1007), and
/// runs the closing handshake. When the connection ends, however it ends, the handler's task is
/// cancelled; when the handler returns, the connection is closed with 1000 (1011 when it threw).
///
/// `send` returns once the frame is written to the socket, so a handler that awaits its sends
/// holds at most the frame being written: a peer that reads slowly slows the handler down (and
/// a handler sending the newest of a stream of updates, as `WebSocketBroadcast` helps to,
/// skips the ones it had no time for), and a peer that stops reading is closed after
/// `writeTimeout`.
public final class WebSocket: Sendable {
    /// The connection is closing or closed, so nothing more can be sent.
    public struct Closed: Error, Sendable, CustomStringConvertible {
        /// How it ended, once it has (see `WebSocket.closeStatus`).
        public let status: WebSocketCloseStatus?

        public var description: String {
            "WebSocket closed" + (status.map { " (\($0.code?.description ?? "no code")\($0.reason.isEmpty ? "" : " \($0.reason)"))" } ?? "")
        }
    }

    /// A frame waiting to be written.
    struct Outgoing: Sendable {
        /// The sender to resume once it is written; nil for frames no one waits for.
        var sender: Int?
        var bytes: ByteBuffer
        /// A close frame after which the TCP connection is closed at once (an echo of the
        /// peer's close, or the answer to a violation).
        var endsConnection = false
        /// Whether it counts in `queuedBytes`: data and close frames; pings and pongs are
        /// bounded apart (one of each at most).
        var isQueued = true
    }

    enum Timer: Hashable, Sendable {
        case keepalive, closing
    }

    struct State: Sendable {
        var machine: WebSocketConnectionStateMachine
        var keepalive: WebSocketKeepalive
        /// The keepalive timer and the closing handshake's, by what they time.
        var timers: [Timer: Scheduled] = [:]
        var ended = false
        /// How the connection ended when no close frame says so (a timeout, a lost peer).
        var localStatus: WebSocketCloseStatus?
        var endWaiters: [CheckedContinuation<Void, Never>] = []

        /// Pings and pongs, written ahead of data frames; a newer pong replaces one not yet
        /// written (RFC 6455 §5.5.3 allows answering only the latest ping).
        var ping: ByteBuffer?
        var pong: ByteBuffer?
        var frames = FIFO<Outgoing>()
        var senders: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextSender = 0
        var writer: CheckedContinuation<Void, Never>?
        /// Bytes of frames queued and being written, and the most there ever were.
        var queuedBytes = 0
        var peakQueuedBytes = 0

        var inbound = FIFO<WebSocketMessage>()
        var consumer: CheckedContinuation<WebSocketMessage?, Never>?
        /// The reader, waiting for room in `inbound`.
        var reader: CheckedContinuation<Void, Never>?

        mutating func queue(_ frame: Outgoing) {
            frames.append(frame)
            queuedBytes += frame.bytes.readableBytes
            peakQueuedBytes = max(peakQueuedBytes, queuedBytes)
        }

        /// The writer, to be resumed: there is something to write.
        mutating func wakeWriter() -> CheckedContinuation<Void, Never>? {
            defer { writer = nil }
            return writer
        }
    }

    let connection: TCPConnection
    let configuration: WebSocketServerConfiguration
    let state: Mutex<State>

    init(connection: TCPConnection, configuration: WebSocketServerConfiguration) {
        self.connection = connection
        self.configuration = configuration
        state = Mutex(State(machine: WebSocketConnectionStateMachine(limits: configuration.limits),
                            keepalive: WebSocketKeepalive(interval: configuration.pingInterval, timeout: configuration.pongTimeout, start: .now)))
    }

    /// The peer's address.
    public var remoteAddress: SocketAddress { connection.remoteAddress }

    /// Whether messages can still be sent: the closing handshake has not started.
    public var isOpen: Bool { state.withLock { !$0.ended && $0.machine.isOpen } }

    /// How the connection ended, once it has: the peer's close status (1005 when its close frame
    /// had no code), the code this side closed with after a violation, or 1006 with a reason when
    /// it ended without a closing handshake (the peer vanished, did not answer a ping, did not
    /// read in time, or did not answer a close).
    public var closeStatus: WebSocketCloseStatus? {
        state.withLock { state in state.ended ? state.machine.closeStatus ?? state.localStatus : nil }
    }

    /// Sends a message: returns once its frame is written to the socket.
    /// - Throws: `Closed` once the closing handshake has started or the connection has ended
    ///   (including when it ends while the frame waits); `CancellationError`, the frame then
    ///   withdrawn unless its write has begun.
    public func send(_ message: WebSocketMessage) async throws {
        try await send { machine in machine.send(message) }
    }

    /// Sends a message encoded beforehand, as `send(_:)` does.
    public func send(_ message: WebSocketPreparedMessage) async throws {
        try await send { machine in machine.isOpen ? message.frame : nil }
    }

    /// The peer's messages, in order; the sequence ends when the connection does. One task at a
    /// time may iterate it.
    public var messages: Messages { Messages(socket: self) }

    /// Starts the closing handshake with `status` (1000 by default) and returns once the
    /// connection has ended: the peer answered, or `closingTimeout` passed. Frames queued before
    /// are written first. Does nothing more when the handshake has already started.
    public func close(_ status: WebSocketCloseStatus = WebSocketCloseStatus(code: .normalClosure)) async {
        startClosing(status)
        await waitUntilEnded()
    }

    /// The bytes of frames queued and being written, and the most there ever were: what the
    /// connection holds for a peer that reads slowly.
    var outboundBytes: (now: Int, peak: Int) { state.withLock { ($0.queuedBytes, $0.peakQueuedBytes) } }

    /// The peer's messages; see `WebSocket.messages`.
    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = WebSocketMessage
        let socket: WebSocket

        public struct AsyncIterator: AsyncIteratorProtocol {
            let socket: WebSocket
            public mutating func next() async -> WebSocketMessage? { await socket.nextMessage() }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(socket: socket) }
    }
}

extension WebSocket {
    /// Queues the frame `frame(machine)` gives (nil: the connection is closing) and waits until it
    /// is written.
    private func send(_ frame: @Sendable (WebSocketConnectionStateMachine) -> ByteBuffer?) async throws {
        let id = state.withLock { state in
            defer { state.nextSender += 1 }
            return state.nextSender
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (failure, writer) = state.withLock { state -> ((any Error)?, CheckedContinuation<Void, Never>?) in
                    if Task.isCancelled { return (CancellationError(), nil) }
                    guard !state.ended, let bytes = frame(state.machine) else {
                        return (Closed(status: state.ended ? state.machine.closeStatus ?? state.localStatus : nil), nil)
                    }
                    state.queue(Outgoing(sender: id, bytes: bytes))
                    state.senders[id] = continuation
                    return (nil, state.wakeWriter())
                }
                if let failure { continuation.resume(throwing: failure) }
                writer?.resume()
            }
        } onCancel: {
            withdraw(id)
        }
    }

    /// Takes sender `id`'s frame out of the queue, unless its write has begun.
    private func withdraw(_ id: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard let position = state.frames.firstIndex(where: { $0.sender == id }) else { return nil }
            var kept = FIFO<Outgoing>()
            for (index, frame) in state.frames.enumerated() where index != position { kept.append(frame) }
            state.queuedBytes -= state.frames[position].bytes.readableBytes
            state.frames = kept
            return state.senders.removeValue(forKey: id)
        }
        continuation?.resume(throwing: CancellationError())
    }

    /// The next message from the peer, or nil once the connection has ended (or the task is
    /// cancelled).
    func nextMessage() async -> WebSocketMessage? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<WebSocketMessage?, Never>) in
                let (outcome, reader) = state.withLock { state -> (WebSocketMessage??, CheckedContinuation<Void, Never>?) in
                    if let message = state.inbound.popFirst() {
                        defer { state.reader = nil }
                        return (.some(message), state.reader)
                    }
                    if state.ended || Task.isCancelled { return (.some(nil), nil) }
                    state.consumer = continuation
                    return (nil, nil)
                }
                if let outcome { continuation.resume(returning: outcome) }
                reader?.resume()
            }
        } onCancel: {
            let consumer = state.withLock { state in
                defer { state.consumer = nil }
                return state.consumer
            }
            consumer?.resume(returning: nil)
        }
    }

    /// Starts the closing handshake unless it has started: queues the close frame behind the
    /// frames already queued and ends the connection after `closingTimeout` should the peer not
    /// answer.
    func startClosing(_ status: WebSocketCloseStatus) {
        let writer = state.withLock { state -> CheckedContinuation<Void, Never>?? in
            guard !state.ended, let frame = state.machine.close(status) else { return nil }
            state.queue(Outgoing(bytes: frame))
            return .some(state.wakeWriter())
        }
        guard let writer else { return }
        writer?.resume()
        schedule(.closing, at: .now + configuration.closingTimeout) { [self] in
            end(WebSocketCloseStatus(code: .abnormalClosure, reason: "no close from the peer in time"))
        }
    }

    /// The server is shutting down: close with 1001.
    func goAway() {
        startClosing(WebSocketCloseStatus(code: .goingAway, reason: "server shutting down"))
    }

    /// Returns once the connection has ended.
    func waitUntilEnded() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended = state.withLock { state in
                if !state.ended { state.endWaiters.append(continuation) }
                return state.ended
            }
            if ended { continuation.resume() }
        }
    }

    /// Ends the connection (once): closes the socket, cancels the timers and resumes every
    /// waiter. `status` says how it ended when no close frame does.
    func end(_ status: WebSocketCloseStatus) {
        guard let state = self.state.withLock({ state -> State? in
            guard !state.ended else { return nil }
            state.ended = true
            state.localStatus = status
            let taken = state
            state.timers = [:]
            state.senders = [:]
            state.writer = nil
            state.consumer = nil
            state.reader = nil
            state.endWaiters = []
            state.frames = FIFO()
            state.queuedBytes = 0
            return taken
        }) else { return }
        connection.close()
        for timer in state.timers.values { timer.cancel() }
        let closed = Closed(status: state.machine.closeStatus ?? status)
        for sender in state.senders.values { sender.resume(throwing: closed) }
        state.writer?.resume()
        state.consumer?.resume(returning: nil)
        state.reader?.resume()
        for waiter in state.endWaiters { waiter.resume() }
    }

    /// Runs `action` on the connection's loop at `deadline` unless the connection ends first;
    /// replaces the timer of the same kind.
    func schedule(_ kind: Timer, at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) {
        let timer = connection.eventLoop.scheduleTask(at: deadline, action)
        let (kept, replaced) = state.withLock { state -> (Bool, Scheduled?) in
            guard !state.ended else { return (false, nil) }
            return (true, state.timers.updateValue(timer, forKey: kind))
        }
        replaced?.cancel()
        if !kept { timer.cancel() }
    }
}
