import Bytes
import Synchronization
import Transport

/// A connection to a RabbitMQ server: the I/O shell around `ConnectionStateMachine`.
///
/// ```swift
/// let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: "amqp://guest:guest@localhost:5672/"))
/// let channel = try await connection.openChannel()
/// let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: "jobs", durable: true))
/// try channel.publish(routingKey: queue.queue, body: "hello")
/// try await connection.close()
/// ```
///
/// One task reads and applies frames and one writes; heartbeats and every timeout are timers of
/// the socket's event loop. Call `close()` when done: the two tasks keep the connection alive
/// until it is closed (by either side or by a failure).
/// A server that sends nothing, not even a heartbeat, for two heartbeat intervals is taken as
/// gone: every pending call fails with `AMQPConnectionError.connectionLost`.
public final class AMQPConnection: Sendable {
    struct Waiter {
        let continuation: CheckedContinuation<Reply?, any Error>
        /// The loop timer that fails the request at its deadline.
        var timeout: Scheduled?
    }

    struct State {
        var machine: ConnectionStateMachine
        var encoder = FrameEncoder(maximumFrameSize: AMQPProtocol.frameMinSize)
        /// Encoded frames waiting for the writer task.
        var output = ByteBuffer()
        var waiters: [RequestID: Waiter] = [:]
        var handshake: CheckedContinuation<Void, any Error>?
        /// Every `close()` waiting for the close handshake; several callers may close at once.
        var closing: [CheckedContinuation<Void, any Error>] = []
        var consumers: [ConsumerKey: ConsumerSink] = [:]
        /// Consumers the server cancelled on a channel still open, kept for deliveries that
        /// follow the cancel: RabbitMQ sends a deleted quorum queue's deliveries and its cancel
        /// from different processes, so one sent before the cancel can arrive after it, and its
        /// message, gone with the queue, exists nowhere else.
        var cancelledConsumers: [ConsumerKey: ConsumerSink] = [:]
        /// What to do to consumers' streams once the lock is released (see `applyConsumerEffects`).
        var consumerEffects: [ConsumerEffect] = []
        /// Open channels by number, with the incarnation their `AMQPChannel` carries: a number is
        /// reused after a close, and a stale handle must not act on its successor.
        var liveChannels: [UInt16: UInt64] = [:]
        var nextIncarnation: UInt64 = 0
        /// Why the server closed a channel, so later calls through its handle say so. Only the
        /// latest incarnation per channel number is kept, which bounds this by channel_max.
        var closeReasons: [UInt16: (incarnation: UInt64, error: AMQPConnectionError)] = [:]
        /// Channels in confirm mode.
        var publishers: [UInt16: PublisherState] = [:]
        var publishWaiters: [UInt64: PublishWaiter] = [:]
        var unblockWaiters: [UInt64: UnblockWaiter] = [:]
        /// Set while the server has blocked the connection (`connection.blocked`).
        var blockedReason: String?
        /// The one loop timer for publish and unblock waiters, armed at the earliest deadline
        /// among them (see `armWaiterDeadline`); nil while none waits.
        var waiterDeadline: (at: ContinuousClock.Instant, timer: Scheduled)?
        var heartbeat: UInt16 = 0
        /// The loop timer of the next heartbeat we send.
        var heartbeatTimer: Scheduled?
        /// Closes the socket should the writer not finish draining in time after the end.
        var closeWatchdog: Scheduled?
        var nextConsumerTag = 0
        /// Set once the connection is finished; later requests fail with it.
        var finished: AMQPConnectionError?
    }

    /// A Mutex rather than an actor: the reader task and callers change the state in short,
    /// non-suspending sections, and frames must reach the writer in exactly the order the state
    /// machine produced them, which an actor's suspension points would not guarantee.
    let state: Mutex<State>
    let socket: TCPConnection
    /// Wakes the writer when `State.output` goes from empty to non-empty.
    let outputReady: AsyncStream<Void>.Continuation
    /// The negotiated frame_max, readable without the lock so publishes encode outside it. Set
    /// once during the handshake, before any channel exists.
    let frameMax = Atomic<Int>(AMQPProtocol.frameMinSize)
    /// Numbers publish and unblock waiters; atomic so a cancellation handler knows its id up front.
    let tickets = Atomic<UInt64>(0)
    let eventSink: AsyncStream<AMQPConnectionEvent>.Continuation
    /// Consumer stream effects in lock order, waiting to be applied outside the lock.
    let consumerOutbox = Mutex(FIFO<ConsumerEffect>())

    /// Notifications outside any request: blocked/unblocked, returns, confirms, channel closes.
    /// Keeps the newest 1024 when nobody reads.
    public let events: AsyncStream<AMQPConnectionEvent>

    private init(socket: TCPConnection, configuration: ConnectionConfiguration, outputReady: AsyncStream<Void>.Continuation) {
        self.socket = socket
        self.outputReady = outputReady
        state = Mutex(State(machine: ConnectionStateMachine(configuration: configuration)))
        (events, eventSink) = AsyncStream.makeStream(of: AMQPConnectionEvent.self, bufferingPolicy: .bufferingNewest(1024))
    }

    /// The event loop serving the socket. Work that also talks to other sockets on this loop (a
    /// Redis connection of the same group) can run on it with `Task(executorPreference:)`, so their
    /// replies resume it without a thread hop.
    public var eventLoop: EventLoop { socket.eventLoop }

    /// Connects and performs the AMQP handshake.
    ///
    /// - Parameters:
    ///   - configuration: limits and client properties; by default from `url` with standard limits.
    ///   - timeout: bound for the TCP connect and for the handshake, each.
    ///   - group: the event loops the socket is served by.
    /// - Throws: `.connectFailed` with the socket's `TransportError`, `.connectionClosed` (403
    ///   for bad credentials), `.timedOut`, `.cancelled`.
    public static func connect(
        to url: AMQPURL, configuration: ConnectionConfiguration? = nil, timeout: Duration = .seconds(30), on group: EventLoopGroup = .shared
    ) async throws(AMQPConnectionError) -> AMQPConnection {
        let socket: TCPConnection
        do {
            socket = try await TCPConnection.connect(host: url.host, port: url.port, timeout: timeout, on: group)
        } catch let error as TransportError {
            throw .connectFailed(error)
        } catch {
            throw AMQPConnectionError(error)
        }
        let (signals, outputReady) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let connection = AMQPConnection(socket: socket, configuration: configuration ?? ConnectionConfiguration(url: url), outputReady: outputReady)
        // On the socket's loop: a read resumes the reader without a thread hop, and callers that
        // run on the same loop (a consumer's handlers, a one-loop service's requests) get their
        // replies and confirms on the thread they are on. Owner: the connection. Both end once it
        // is finished (closed by either side or failed): the writer after its last drain, the
        // reader when the socket closes; nothing else waits for them.
        Task(executorPreference: socket.eventLoop) { await connection.writeLoop(signals) }
        Task(executorPreference: socket.eventLoop) { await connection.readLoop() }
        try await connection.handshake(timeout: timeout)
        return connection
    }

    private func handshake(timeout: Duration) async throws(AMQPConnectionError) {
        let timer = eventLoop.scheduleTask(in: timeout) { [weak self] in self?.abort(.timedOut(operation: "AMQP handshake")) }
        defer { timer.cancel() }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    locked { state in
                        if let finished = state.finished { return continuation.resume(throwing: finished) }
                        state.handshake = continuation
                        perform(state.machine.start(), &state)
                    }
                }
            } onCancel: {
                abort(.cancelled)
            }
        } catch {
            throw AMQPConnectionError(error)
        }
    }

    /// Opens a channel.
    ///
    /// - Throws: `.tooManyChannels` when every number up to channel_max is taken, `.timedOut`,
    ///   the connection's error when it closes first, `.cancelled`.
    public func openChannel(timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> AMQPChannel {
        var number: UInt16 = 0
        var incarnation: UInt64 = 0
        _ = try await waitForReply(operation: "channel.open", timeout: timeout) { state throws(AMQPConnectionError) in
            let opened = try state.machine.openChannel()
            // A fixed, small frame: encoding it cannot fail.
            try? state.encoder.encode(.method(channel: opened.channel, .channelOpen(ChannelOpen())), into: &state.output)
            number = opened.channel
            state.nextIncarnation += 1
            incarnation = state.nextIncarnation
            state.liveChannels[number] = incarnation
            return opened.request
        }
        return AMQPChannel(connection: self, number: number, incarnation: incarnation)
    }

    /// Closes the connection with the close handshake and waits for the server's close-ok, at
    /// most `timeout`; then the connection is dropped without it. Either way the connection is
    /// closed when this returns; it throws only when the server broke the protocol meanwhile.
    public func close(timeout: Duration = .seconds(10)) async throws(AMQPConnectionError) {
        let timer = eventLoop.scheduleTask(in: timeout) { [weak self] in self?.abort(.timedOut(operation: "connection.close")) }
        defer { timer.cancel() }
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                locked { state in
                    if state.finished != nil { return continuation.resume() }
                    state.closing.append(continuation)
                    perform(state.machine.close(), &state)
                }
            }
        } catch {
            throw AMQPConnectionError(error)
        }
    }

    /// Why the connection finished, once it has (`.closedByClient` after `close()`); nil while open.
    public var closeReason: AMQPConnectionError? { state.withLock { $0.finished } }

    /// What the server announced about itself in `connection.start`: `product`, `version`,
    /// `platform`, `cluster_name` and the `capabilities` table (e.g. `publisher_confirms`), as
    /// the server sent them. Empty until the handshake reached that point.
    public var serverProperties: FieldTable { state.withLock { $0.machine.serverProperties } }

    /// Runs `body` under the lock, wakes the writer when `body` queued the first output, and
    /// applies what `body` decided for consumers' streams once the lock is released.
    func locked<Result, Failure: Error>(_ body: (inout sending State) throws(Failure) -> sending Result) throws(Failure) -> sending Result {
        var effects = false
        defer { if effects { applyConsumerEffects() } }
        return try state.withLock { (state) throws(Failure) -> sending Result in
            let wasEmpty = state.output.readableBytes == 0
            defer {
                if wasEmpty && state.output.readableBytes > 0 { outputReady.yield() }
                if !state.consumerEffects.isEmpty {
                    consumerOutbox.withLock { outbox in
                        for effect in state.consumerEffects { outbox.append(effect) }
                    }
                    state.consumerEffects.removeAll(keepingCapacity: true)
                    effects = true
                }
            }
            return try body(&state)
        }
    }

    /// Ends the connection from our side without a handshake (timeouts, cancelled connect).
    func abort(_ error: AMQPConnectionError) {
        locked { state in perform(state.machine.transportClosed(error), &state) }
    }
}
