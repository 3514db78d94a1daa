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
/// One task reads and applies frames, one writes, one sends heartbeats. Call `close()` when done:
/// those tasks keep the connection alive until it is closed (by either side or by a failure).
public final class AMQPConnection: Sendable {
    struct Waiter {
        let continuation: CheckedContinuation<Reply?, any Error>
        var timeout: Task<Void, Never>?
    }

    struct ConsumerKey: Hashable {
        let channel: UInt16
        let tag: String
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
        var consumers: [ConsumerKey: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation] = [:]
        /// Open channels by number, with the incarnation their `AMQPChannel` carries: a number is
        /// reused after a close, and a stale handle must not act on its successor.
        var liveChannels: [UInt16: UInt64] = [:]
        var nextIncarnation: UInt64 = 0
        /// Why the server closed a channel, by incarnation, so later calls on it say so.
        var closeReasons: [UInt64: AMQPConnectionError] = [:]
        /// Channels in confirm mode.
        var publishers: [UInt16: PublisherState] = [:]
        var publishWaiters: [UInt64: PublishWaiter] = [:]
        var unblockWaiters: [UInt64: UnblockWaiter] = [:]
        /// Set while the server has blocked the connection (`connection.blocked`).
        var blockedReason: String?
        /// Fails publish and unblock waiters past their deadline; started with the first of them.
        var sweeper: Task<Void, Never>?
        var frameMax = AMQPProtocol.frameMinSize
        var heartbeat: UInt16 = 0
        var heartbeatTask: Task<Void, Never>?
        var nextConsumerTag = 0
        /// Set once the connection is finished; later requests fail with it.
        var finished: AMQPConnectionError?
    }

    /// A Mutex rather than an actor: the reader task and callers change the state in short,
    /// non-suspending sections, and frames must reach the writer in exactly the order the state
    /// machine produced them, which an actor's suspension points would not guarantee.
    let state: Mutex<State>
    private let socket: TCPConnection
    /// Wakes the writer when `State.output` goes from empty to non-empty.
    let outputReady: AsyncStream<Void>.Continuation
    /// Numbers publish and unblock waiters; atomic so a cancellation handler knows its id up front.
    let tickets = Atomic<UInt64>(0)
    private let eventSink: AsyncStream<AMQPConnectionEvent>.Continuation

    /// Notifications outside any request: blocked/unblocked, returns, confirms, channel closes.
    /// Keeps the newest 1024 when nobody reads.
    public let events: AsyncStream<AMQPConnectionEvent>

    private init(socket: TCPConnection, configuration: ConnectionConfiguration, outputReady: AsyncStream<Void>.Continuation) {
        self.socket = socket
        self.outputReady = outputReady
        state = Mutex(State(machine: ConnectionStateMachine(configuration: configuration)))
        (events, eventSink) = AsyncStream.makeStream(of: AMQPConnectionEvent.self, bufferingPolicy: .bufferingNewest(1024))
    }

    /// Connects and performs the AMQP handshake.
    ///
    /// - Parameters:
    ///   - configuration: limits and client properties; by default from `url` with standard limits.
    ///   - timeout: bound for the TCP connect and for the handshake, each.
    /// - Throws: `AMQPConnectionError` (e.g. `.connectionClosed` with 403 for bad credentials,
    ///   `.timedOut`), `TransportError`, `CancellationError`.
    public static func connect(
        to url: AMQPURL, configuration: ConnectionConfiguration? = nil, timeout: Duration = .seconds(30)
    ) async throws -> AMQPConnection {
        let socket = try await TCPConnection.connect(host: url.host, port: url.port, timeout: timeout)
        let (signals, outputReady) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let connection = AMQPConnection(socket: socket, configuration: configuration ?? ConnectionConfiguration(url: url), outputReady: outputReady)
        Task { await connection.writeLoop(signals) }
        Task { await connection.readLoop() }
        try await connection.handshake(timeout: timeout)
        return connection
    }

    private func handshake(timeout: Duration) async throws {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { self?.abort(.timedOut(operation: "AMQP handshake")) }
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                state.withLock { state in
                    if let finished = state.finished { return continuation.resume(throwing: finished) }
                    state.handshake = continuation
                    perform(state.machine.start(), &state)
                }
            }
        } onCancel: {
            abort(.timedOut(operation: "AMQP handshake (cancelled)"))
        }
    }

    /// Opens a channel.
    public func openChannel(timeout: Duration = .seconds(30)) async throws -> AMQPChannel {
        var number: UInt16 = 0
        var incarnation: UInt64 = 0
        _ = try await waitForReply(operation: "channel.open", timeout: timeout) { state throws(AMQPConnectionError) in
            let opened = try state.machine.openChannel()
            number = opened.channel
            state.nextIncarnation += 1
            incarnation = state.nextIncarnation
            state.liveChannels[number] = incarnation
            return (opened.request, opened.actions)
        }
        return AMQPChannel(connection: self, number: number, incarnation: incarnation)
    }

    /// Closes the connection with the close handshake and waits for the server's close-ok.
    public func close(timeout: Duration = .seconds(10)) async throws {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { self?.abort(.timedOut(operation: "connection.close")) }
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            state.withLock { state in
                if state.finished != nil { return continuation.resume() }
                state.closing.append(continuation)
                perform(state.machine.close(), &state)
            }
        }
    }

    /// Why the connection finished, once it has (`.closedByClient` after `close()`); nil while open.
    public var closeReason: AMQPConnectionError? { state.withLock { $0.finished } }

    // MARK: Requests (used by AMQPChannel)

    /// Registers a waiter and sends the request in one step, then waits for the reply.
    /// `request` returns nil as request id when no reply is expected; the result is then nil.
    func waitForReply(
        operation: String, timeout: Duration,
        _ request: @escaping (inout State) throws(AMQPConnectionError) -> (RequestID?, [ConnectionStateMachine.Action])
    ) async throws -> Reply? {
        let ticket = Mutex<(id: RequestID?, cancelled: Bool)>((nil, false))
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Reply?, any Error>) in
                let registered: RequestID? = state.withLock { state in
                    do throws(AMQPConnectionError) {
                        if let finished = state.finished { throw finished }
                        let (id, actions) = try request(&state)
                        guard let id else {
                            perform(actions, &state)
                            continuation.resume(returning: nil)
                            return nil
                        }
                        state.waiters[id] = Waiter(continuation: continuation)
                        perform(actions, &state)
                        return id
                    } catch {
                        continuation.resume(throwing: error)
                        return nil
                    }
                }
                guard let id = registered else { return }
                let cancelled = ticket.withLock { ticket in
                    ticket.id = id
                    return ticket.cancelled
                }
                if cancelled { return fail(id, CancellationError()) }
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled { self?.fail(id, AMQPConnectionError.timedOut(operation: operation)) }
                }
                state.withLock { state in
                    if state.waiters[id] != nil { state.waiters[id]!.timeout = timer } else { timer.cancel() }
                }
            }
        } onCancel: {
            let id = ticket.withLock { ticket in
                ticket.cancelled = true
                return ticket.id
            }
            if let id { fail(id, CancellationError()) }
        }
    }

    /// Queues the frames of a request that gets no reply (publish, ack) on the channel
    /// `incarnation` names. A publish on a confirm-mode channel takes its sequence number.
    func sendWithoutReply(
        on channel: UInt16, incarnation: UInt64, publishing: Bool = false,
        _ request: (inout ConnectionStateMachine) throws(AMQPConnectionError) -> [ConnectionStateMachine.Action]
    ) throws {
        try state.withLock { state in
            if let finished = state.finished { throw finished }
            try state.requireLive(channel, incarnation)
            try queueFrames(try request(&state.machine), &state)
            if publishing { _ = state.publishers[channel]?.tracker.published(ticket: nil) }
        }
    }

    /// Encodes the frames of `actions` into the output. All or nothing: when a frame cannot be
    /// encoded (a name over 255 bytes, say) nothing is queued and the `AMQPError` is thrown;
    /// such requests register no waiter, so nothing else needs undoing.
    func queueFrames(_ actions: [ConnectionStateMachine.Action], _ state: inout State) throws {
        let wasEmpty = state.output.readableBytes == 0
        let mark = state.output.writerIndex
        for case .send(let frames) in actions {
            for frame in frames {
                do {
                    try state.encoder.encode(frame, into: &state.output)
                } catch {
                    state.output.moveWriterIndex(to: mark)
                    throw error
                }
            }
        }
        if wasEmpty && state.output.readableBytes > 0 { outputReady.yield() }
    }

    /// Ends the delivery streams of the consumers `matching` selects.
    func removeConsumers(matching: (ConsumerKey) -> Bool) {
        state.withLock { state in
            for key in state.consumers.keys where matching(key) {
                state.consumers.removeValue(forKey: key)?.finish()
            }
        }
    }

    /// Forgets a channel the client closed: its consumers end, its pending confirms fail.
    func channelClosedByClient(_ channel: UInt16, incarnation: UInt64) {
        state.withLock { state in
            guard state.liveChannels[channel] == incarnation else { return }
            state.liveChannels[channel] = nil
            for key in state.consumers.keys where key.channel == channel {
                state.consumers.removeValue(forKey: key)?.finish()
            }
            failPublishes(on: channel, .channelNotOpen(channel), &state)
        }
    }

    /// Fails one waiter; its reply, should it still come, is dropped by the state machine's bookkeeping.
    private func fail(_ id: RequestID, _ error: any Error) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.timeout?.cancel()
        waiter?.continuation.resume(throwing: error)
    }

    /// Ends the connection from our side without a handshake (timeouts, cancelled connect).
    private func abort(_ error: AMQPConnectionError) {
        state.withLock { state in perform(state.machine.transportClosed(error), &state) }
    }

    // MARK: Actions

    /// Carries out the state machine's actions. Runs under the lock; resuming continuations and
    /// yielding to streams only schedules work, so nothing here blocks or re-enters.
    func perform(_ actions: [ConnectionStateMachine.Action], _ state: inout State) {
        for action in actions {
            switch action {
            case .sendProtocolHeader:
                queueOutput(ByteBuffer(bytes: AMQPProtocol.header), &state)
            case .send(let frames):
                let wasEmpty = state.output.readableBytes == 0
                let mark = state.output.writerIndex
                do {
                    for frame in frames { try state.encoder.encode(frame, into: &state.output) }
                } catch {
                    // Callers validate what they send, so this is a bug in our own frames.
                    state.output.moveWriterIndex(to: mark)
                    perform(state.machine.protocolViolation(error), &state)
                    return
                }
                if wasEmpty { outputReady.yield() }
            case .tuned(let negotiated):
                state.frameMax = Int(negotiated.frameMax)
                state.encoder.maximumFrameSize = Int(negotiated.frameMax)
                state.heartbeat = negotiated.heartbeat
                if negotiated.heartbeat > 0 { state.heartbeatTask = startHeartbeats(every: negotiated.heartbeat) }
            case .connected:
                state.handshake?.resume()
                state.handshake = nil
            case .succeed(let id, let reply):
                let waiter = state.waiters.removeValue(forKey: id)
                waiter?.timeout?.cancel()
                waiter?.continuation.resume(returning: reply)
            case .fail(let id, let error):
                let waiter = state.waiters.removeValue(forKey: id)
                waiter?.timeout?.cancel()
                waiter?.continuation.resume(throwing: error)
            case .deliver(let channel, let message):
                if case .basicDeliver(let deliver) = message.method,
                    let consumer = state.consumers[ConsumerKey(channel: channel, tag: deliver.consumerTag)]
                {
                    let handle = AMQPChannel(connection: self, number: channel, incarnation: state.liveChannels[channel] ?? 0)
                    consumer.yield(AMQPDelivery(message: message, deliver: deliver, channel: handle))
                }
            case .returned(let channel, let message):
                recordReturn(message, on: channel, &state)
                eventSink.yield(.returned(channel: channel, message))
            case .confirm(let channel, let tag, let multiple, let ack):
                if state.publishers[channel] != nil {
                    // Tracked by `publishConfirmed`: its waiters get the outcome. An event for every
                    // confirm would only wake the readers of `events` for nothing.
                    settleConfirms(on: channel, deliveryTag: tag, multiple: multiple, ack: ack, &state)
                } else {
                    eventSink.yield(.confirm(channel: channel, deliveryTag: tag, multiple: multiple, ack: ack))
                }
            case .consumerCancelled(let channel, let tag):
                state.consumers.removeValue(forKey: ConsumerKey(channel: channel, tag: tag))?
                    .finish(throwing: AMQPConnectionError.consumerCancelled(channel: channel, consumerTag: tag))
            case .channelClosed(let channel, let error):
                for key in state.consumers.keys where key.channel == channel {
                    state.consumers.removeValue(forKey: key)?.finish(throwing: error)
                }
                if let incarnation = state.liveChannels.removeValue(forKey: channel) { state.closeReasons[incarnation] = error }
                failPublishes(on: channel, error, &state)
                eventSink.yield(.channelClosed(channel: channel, error))
            case .blocked(let reason):
                state.blockedReason = reason
                eventSink.yield(.blocked(reason: reason))
            case .unblocked:
                state.blockedReason = nil
                unblocked(&state)
                eventSink.yield(.unblocked)
            case .closed(let error):
                finish(error, &state)
            }
        }
    }

    private func queueOutput(_ bytes: ByteBuffer, _ state: inout State) {
        let wasEmpty = state.output.readableBytes == 0
        state.output.writeBuffer(bytes)
        if wasEmpty { outputReady.yield() }
    }

    private func finish(_ error: AMQPConnectionError?, _ state: inout State) {
        let failure = error ?? .closedByClient
        state.finished = failure
        state.heartbeatTask?.cancel()
        for waiter in state.waiters.values {
            waiter.timeout?.cancel()
            waiter.continuation.resume(throwing: failure)
        }
        state.waiters = [:]
        state.liveChannels = [:]
        for channel in Array(state.publishers.keys) { failPublishes(on: channel, failure, &state) }
        for waiter in state.publishWaiters.values { waiter.continuation.resume(throwing: failure) }
        state.publishWaiters = [:]
        for waiter in state.unblockWaiters.values { waiter.continuation.resume(throwing: failure) }
        state.unblockWaiters = [:]
        state.sweeper?.cancel()
        state.handshake?.resume(throwing: failure)
        state.handshake = nil
        for closing in state.closing {
            if let error { closing.resume(throwing: error) } else { closing.resume() }
        }
        state.closing = []
        for consumer in state.consumers.values {
            if let error { consumer.finish(throwing: error) } else { consumer.finish() }
        }
        state.consumers = [:]
        eventSink.finish()
        // The writer drains what is queued (e.g. close-ok), then closes the socket.
        outputReady.finish()
    }

    // MARK: Tasks

    /// Writes whatever has accumulated in `State.output` in one go, so a burst of publishes
    /// becomes a few large writes rather than one syscall per frame.
    private func writeLoop(_ signals: AsyncStream<Void>) async {
        var iterator = signals.makeAsyncIterator()
        var finished = false
        while !finished {
            finished = await iterator.next() == nil
            while true {
                let batch = state.withLock { state in
                    let batch = state.output
                    state.output = ByteBuffer()
                    return batch
                }
                if batch.readableBytes == 0 { break }
                do {
                    try await socket.write(batch)
                } catch {
                    socket.close()
                    state.withLock { state in perform(state.machine.transportClosed(.connectionLost("\(error)")), &state) }
                    return
                }
            }
        }
        socket.close()
    }

    private func readLoop() async {
        var decoder = FrameDecoder(maximumFrameSize: AMQPProtocol.frameMinSize)
        do {
            while true {
                let (frameMax, heartbeat) = state.withLock { ($0.frameMax, $0.heartbeat) }
                decoder.maximumFrameSize = frameMax
                // Two missed server heartbeats mean the peer is gone.
                let timeout: Duration? = heartbeat > 0 ? .seconds(2 * Int(heartbeat)) : nil
                var buffer = ByteBuffer()
                guard try await socket.read(into: &buffer, timeout: timeout) > 0 else {
                    throw AMQPConnectionError.connectionLost("server closed the socket")
                }
                decoder.append(buffer)
                while let frame = try decoder.next() {
                    state.withLock { state in perform(state.machine.received(frame), &state) }
                }
            }
        } catch let error as AMQPError {
            // The stream cannot be resynchronised: send connection.close with the reply code, then
            // finish without waiting for close-ok.
            state.withLock { state in
                perform(state.machine.protocolViolation(error), &state)
                perform(state.machine.transportClosed(.protocolViolation(error)), &state)
            }
        } catch let error as AMQPConnectionError {
            state.withLock { state in perform(state.machine.transportClosed(error), &state) }
        } catch {
            state.withLock { state in perform(state.machine.transportClosed(.connectionLost("\(error)")), &state) }
        }
    }

    private func startHeartbeats(every seconds: UInt16) -> Task<Void, Never> {
        Task { [weak self] in
            // Half the interval, so the server sees traffic well within its own timeout.
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500 * Int(seconds)))
                guard let self, !Task.isCancelled else { return }
                self.state.withLock { state in self.perform([.send([.heartbeat])], &state) }
            }
        }
    }
}
