import Bytes
import Synchronization

/// A channel of an `AMQPClient`, opened again after each reconnect and after the server closes
/// it, with its qos, confirm mode and consumers. Mirrors `AMQPChannel`; what it declares is
/// recorded and declared again when recovery needs it.
///
/// Calls made while the channel is being recovered wait for it, up to their timeout, except the
/// synchronous `publish`, which throws `.connectionNotOpen`. A call the server refuses (404,
/// 406, ...) fails with `.channelClosed`; the channel is then opened again for later calls.
/// Queue names of server-named queues are translated to their current names (in publishes to
/// the default exchange, consumes, bindings, purge and delete).
public final class RecoveringChannel: Sendable {
    struct Registration {
        /// `basic.consume` as first sent; its queue is the name the application holds.
        let consume: BasicConsume
        /// The consumer's lasting sequence, fed by whichever channel is current.
        let deliveries: DeliveryQueue
        /// Registered with the broker on the current channel (not cancelled by it, not waiting
        /// for a recovery).
        var active: Bool
    }

    struct State {
        /// Nil while the channel is recovered.
        var channel: AMQPChannel?
        /// Counts changes of `channel`, so a recovery step can tell whether another one
        /// (a reconnect, say) has replaced the channel it works on.
        var generation: UInt64 = 0
        var confirmWindow: Int?
        var qos: (count: UInt16, size: UInt32, global: Bool)?
        var consumers: [String: Registration] = [:]
        var nextTag = 0
        /// Set once closed by the user, or when the client stopped.
        var closed: AMQPConnectionError?
        /// Calls waiting for `channel` to change.
        var waiters = Waiters()

        /// Replaces the channel (nil while recovering); consumers are active only on a new one.
        mutating func replace(with channel: AMQPChannel?) -> [Waiters.Continuation] {
            self.channel = channel
            generation += 1
            for tag in Array(consumers.keys) { consumers[tag]!.active = channel != nil }
            return waiters.takeAll()
        }
    }

    let client: AMQPClient
    let id: UInt64
    /// A lock, not an actor: the sections are short, and `publish` is synchronous. Nothing
    /// calls into the connection or the client while holding it (the connection calls in,
    /// through consumers' sinks).
    let state: Mutex<State>

    init(client: AMQPClient, id: UInt64, channel: AMQPChannel) {
        self.client = client
        self.id = id
        state = Mutex(State(channel: channel))
    }

    /// The channel of the current connection, waiting out a recovery (at most `timeout`).
    func current(timeout: Duration) async throws(AMQPConnectionError) -> AMQPChannel {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (channel, generation) = try state.withLock { state throws(AMQPConnectionError) in
                if let closed = state.closed { throw closed }
                return (state.channel, state.generation)
            }
            if let channel, channel.isOpen { return channel }
            // Closed or lost underneath but not replaced yet: wait for the replacement.
            try await waitParked(timeout: deadline - .now, on: client.group.next(), operation: "waiting for the channel's recovery") { continuation in
                state.withLock { state in
                    if let closed = state.closed {
                        continuation.resume(throwing: closed)
                        return nil
                    }
                    guard state.generation == generation else {
                        continuation.resume()
                        return nil
                    }
                    return state.waiters.add(continuation)
                }
            } unpark: { [self] ticket in state.withLock { $0.waiters.remove(ticket) } }
        }
    }

    /// Publishes without waiting (see `AMQPChannel.publish`).
    /// - Throws: `.connectionNotOpen` while the channel is recovered, or what `AMQPChannel.publish` throws.
    public func publish(
        exchange: String = "", routingKey: String, body: ByteBuffer, properties: BasicProperties = BasicProperties(), mandatory: Bool = false
    ) throws(AMQPConnectionError) {
        let channel = try state.withLock { state throws(AMQPConnectionError) in
            if let closed = state.closed { throw closed }
            guard let channel = state.channel else { throw .connectionNotOpen }
            return channel
        }
        let key = exchange.isEmpty ? client.resolve(routingKey) : routingKey
        try channel.publish(exchange: exchange, routingKey: key, body: body, properties: properties, mandatory: mandatory)
    }

    /// Publishes and awaits the verdict (see `AMQPChannel.publishConfirmed`). A publish awaiting
    /// its confirm when the connection drops fails with the connection's error and is not sent
    /// again. `timeout` bounds a wait for recovery and then the publish, each.
    ///
    /// A mandatory publish that comes back unroutable (312 NO_ROUTE), or one that finds its
    /// exchange gone (404, which closes the channel), declares the recorded topology the
    /// message routes through again before this returns, so the next publish routes.
    public func publishConfirmed(
        exchange: String = "", routingKey: String, body: ByteBuffer, properties: BasicProperties = BasicProperties(),
        mandatory: Bool = false, timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) -> PublishConfirmation {
        let channel = try await current(timeout: timeout)
        let key = exchange.isEmpty ? client.resolve(routingKey) : routingKey
        let outcome: PublishConfirmation
        do {
            outcome = try await channel.publishConfirmed(
                exchange: exchange, routingKey: key, body: body, properties: properties, mandatory: mandatory, timeout: timeout)
        } catch {
            if error.code == .channelClosed, error.replyCode == .notFound, error.classID == BasicPublish.classID, error.methodID == BasicPublish.methodID {
                await client.repairRoute(exchange: exchange, routingKey: key, timeout: timeout)
            }
            throw error
        }
        guard mandatory else { return outcome }
        switch outcome {
        case .ack:
            client.routed(exchange)
        case .returned(let code, let text):
            if client.noteReturn(BasicReturn(replyCode: code.rawValue, replyText: text, exchange: exchange, routingKey: key)) {
                await client.repairRoute(exchange: exchange, routingKey: key, timeout: timeout)
            }
        case .nack:
            break
        }
        return outcome
    }

    /// Fetches one message (`basic.get`) from `queue`, or nil when it is empty. The message counts
    /// as acknowledged once sent (no-ack): its delivery tag would not survive a recovery.
    public func get(queue: String, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> AMQPMessage? {
        try await current(timeout: timeout).get(queue: client.resolve(queue), noAck: true, timeout: timeout)
    }

    /// Confirm mode, restored after recovery.
    public func confirmSelect(window: Int = 1024, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        try await current(timeout: timeout).confirmSelect(window: window, timeout: timeout)
        state.withLock { $0.confirmWindow = window }
    }

    /// Prefetch, restored after recovery.
    public func qos(prefetchCount: UInt16, prefetchSize: UInt32 = 0, global: Bool = false, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        try await current(timeout: timeout).qos(prefetchCount: prefetchCount, prefetchSize: prefetchSize, global: global, timeout: timeout)
        state.withLock { $0.qos = (prefetchCount, prefetchSize, global) }
    }

    /// Starts a consumer that consumes again after each recovery and after the server cancels
    /// it (see `RecoveringConsumer`). An empty tag gets one unique within the client.
    public func consume(
        queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) -> RecoveringConsumer {
        let tag = consumerTag.isEmpty ? state.withLock { state in
            state.nextTag += 1
            return "rctag-\(id)-\(state.nextTag)"
        } : consumerTag
        let registration = Registration(
            consume: BasicConsume(queue: queue, consumerTag: tag, noAck: noAck, exclusive: exclusive, arguments: arguments),
            deliveries: DeliveryQueue(), active: true)
        while true {
            let channel = try await current(timeout: timeout)
            _ = try await channel.consume(resolved(registration.consume), into: sink(for: registration), timeout: timeout)
            // Registered only if no recovery replaced the channel meanwhile; else consume again.
            let registered = state.withLock { state in
                guard let now = state.channel, now.isSame(as: channel) else { return false }
                state.consumers[tag] = registration
                return true
            }
            if registered { return RecoveringConsumer(tag: tag, deliveries: registration.deliveries, channel: self) }
        }
    }

    /// Closes the channel; it is not opened again.
    public func close(timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        let (channel, registrations, waiters) = state.withLock { state in
            state.closed = state.closed ?? .channelNotOpen(state.channel?.number ?? 0)
            defer { state.consumers = [:] }
            return (state.channel, Array(state.consumers.values), state.waiters.takeAll())
        }
        client.forget(self)
        for waiter in waiters { waiter.resume(throwing: AMQPConnectionError.channelNotOpen(channel?.number ?? 0)) }
        for registration in registrations { registration.deliveries.end(nil) }
        try await channel?.close(timeout: timeout)
    }

    // MARK: Recovery (driven by AMQPClient)

    /// Opens the channel on `connection` with its settings and consumers (first declaring each
    /// consumer's queue when `declaringQueues`), and makes it current, unless another recovery
    /// replaced the channel since `generation` (when given).
    func restore(on connection: AMQPConnection, declaringQueues: Bool, ifGeneration generation: UInt64? = nil) async throws(AMQPConnectionError) {
        let (open, window, qos, consumers) = state.withLock { state in
            (state.closed == nil, state.confirmWindow, state.qos, state.consumers)
        }
        guard open else { return }
        let channel = try await connection.openChannel()
        let ordered = consumers.sorted { $0.key < $1.key }
        do {
            if let qos { try await channel.qos(prefetchCount: qos.count, prefetchSize: qos.size, global: qos.global) }
            if let window { try await channel.confirmSelect(window: window) }
            for (_, registration) in ordered {
                if declaringQueues { try await client.ensureQueue(registration.consume.queue, on: connection) }
                _ = try await channel.consume(resolved(registration.consume), into: sink(for: registration), timeout: .seconds(30))
            }
        } catch {
            try? await channel.close()
            throw error
        }
        let (attached, orphans, waiters) = state.withLock { state -> (Bool, [String], [Waiters.Continuation]) in
            guard state.closed == nil, generation.map({ $0 == state.generation }) ?? true else { return (false, [], []) }
            let waiters = state.replace(with: channel)
            // Cancelled by the application meanwhile: consumed here for nothing.
            return (true, ordered.map(\.key).filter { state.consumers[$0] == nil }, waiters)
        }
        for waiter in waiters { waiter.resume() }
        guard attached else {
            try? await channel.close()
            return
        }
        for tag in orphans {
            _ = try? await channel.call(BasicCancel(consumerTag: tag))
            connection.removeConsumer(.init(channel: channel.number, tag: tag))
        }
        if declaringQueues {
            for (tag, registration) in ordered where !orphans.contains(tag) {
                client.eventSink.yield(.consumerRecovered(queue: registration.consume.queue, consumerTag: tag))
            }
        }
    }

    /// Consumes again with consumer `tag`, which the server cancelled, once its queue exists.
    /// Returns true when done or no longer needed.
    func consumeAgain(_ tag: String, generation: UInt64, on connection: AMQPConnection) async throws(AMQPConnectionError) -> Bool {
        let found = state.withLock { state -> (Registration, AMQPChannel)? in
            guard state.generation == generation, let registration = state.consumers[tag], !registration.active,
                let channel = state.channel
            else { return nil }
            return (registration, channel)
        }
        guard let (registration, channel) = found else { return true }
        try await client.ensureQueue(registration.consume.queue, on: connection)
        _ = try await channel.consume(resolved(registration.consume), into: sink(for: registration), timeout: .seconds(30))
        let registered = state.withLock { state -> Bool in
            guard state.generation == generation, state.consumers[tag] != nil else { return false }
            state.consumers[tag]!.active = true
            return true
        }
        guard registered else {
            _ = try? await channel.call(BasicCancel(consumerTag: tag))
            connection.removeConsumer(.init(channel: channel.number, tag: tag))
            return true
        }
        client.eventSink.yield(.consumerRecovered(queue: registration.consume.queue, consumerTag: tag))
        return true
    }

    /// Opens the channel again as after the server closed it, declaring its consumers' queues
    /// first, for consumer `tag` that the broker no longer feeds although it sent no cancel:
    /// RabbitMQ 3.10 can leave the consumers of a quorum queue deleted and declared again at
    /// once attached to nothing, the messages it sends them lost on the way yet unacknowledged.
    /// Closing the channel gives those back to the queue; deliveries received on it can no
    /// longer be settled (the broker redelivers them). Does nothing while a recovery is under way.
    func resubscribe(_ tag: String) async {
        let channel = state.withLock { state in state.closed == nil && state.consumers[tag]?.active == true ? state.channel : nil }
        guard let channel, let generation = serverClosed(channel.number, on: channel.connection) else { return }
        try? await channel.close(timeout: .seconds(5))
        client.jobSink.yield(.reopen(self, generation: generation))
    }

    /// The server closed channel `number` of `connection`: if that is this channel, it waits for
    /// its reopening; returns the generation the reopening is for, nil when not this channel.
    func serverClosed(_ number: UInt16, on connection: AMQPConnection) -> UInt64? {
        let (generation, waiters) = state.withLock { state -> (UInt64?, [Waiters.Continuation]) in
            guard state.closed == nil, let channel = state.channel, channel.number == number, channel.connection === connection else {
                return (nil, [])
            }
            let waiters = state.replace(with: nil)
            return (state.generation, waiters)
        }
        for waiter in waiters { waiter.resume() }
        return generation
    }

    /// The connection is gone: calls wait for recovery from now on.
    func detach() {
        let waiters = state.withLock { $0.replace(with: nil) }
        for waiter in waiters { waiter.resume() }
    }

    /// The client stopped: consumers end with `error`, or normally when nil (stopped, not failed).
    func fail(_ error: AMQPConnectionError?) {
        let (registrations, waiters, closed) = state.withLock { state in
            state.closed = state.closed ?? error ?? .clientClosed("the client stopped")
            let waiters = state.replace(with: nil)
            defer { state.consumers = [:] }
            return (Array(state.consumers.values), waiters, state.closed!)
        }
        for waiter in waiters { waiter.resume(throwing: closed) }
        for registration in registrations { registration.deliveries.end(error) }
    }

    /// Whether `generation` is still the channel's, and it is not closed.
    func isCurrent(_ generation: UInt64) -> Bool {
        state.withLock { $0.closed == nil && $0.generation == generation }
    }

    /// The queue consumer `tag` consumes from.
    func queue(ofConsumer tag: String) -> String? {
        state.withLock { $0.consumers[tag]?.consume.queue }
    }

    func isActive(_ tag: String) -> Bool {
        state.withLock { $0.consumers[tag]?.active ?? false }
    }

    /// Cancels consumer `tag` on the broker, and ends its sequence whether or not the broker
    /// could be told: an application stopping must not wait for deliveries from a broker it
    /// cannot reach (what the channel held goes back to the queue when its connection ends).
    func cancelConsumer(_ tag: String, timeout: Duration) async throws(AMQPConnectionError) {
        defer { state.withLock { $0.consumers.removeValue(forKey: tag) }?.deliveries.end(nil) }
        let channel = try await current(timeout: timeout)
        defer { channel.connection.removeConsumer(.init(channel: channel.number, tag: tag)) }
        _ = try await channel.call(BasicCancel(consumerTag: tag), timeout: timeout)
    }

    /// `consume` with the queue's current name (a server-named queue's changes on recovery).
    private func resolved(_ consume: BasicConsume) -> BasicConsume {
        var resolved = consume
        resolved.queue = client.resolve(consume.queue)
        return resolved
    }

    /// Where a connection delivers a consumer's messages: straight into its lasting sequence.
    /// The consumer's end on that connection does not end the sequence: a server cancel starts
    /// its recovery, a closed channel or a lost connection leaves it to the channel's; `cancel`,
    /// `close` and the client's stop end the sequence themselves. Runs with the connection's
    /// consumer effects, so it only takes this channel's lock and queues work for `run()`.
    private func sink(for registration: Registration) -> AMQPConnection.ConsumerSink {
        let tag = registration.consume.consumerTag
        let queue = registration.consume.queue
        return AMQPConnection.ConsumerSink(queue: registration.deliveries) { [weak self] error in
            // nil: ended by the application's cancel.
            guard let self, let error else { return }
            let generation = self.state.withLock { state -> UInt64? in
                guard state.consumers[tag] != nil else { return nil }
                state.consumers[tag]!.active = false
                return state.generation
            }
            guard let generation, error.code == .consumerCancelled else { return }
            self.client.eventSink.yield(.consumerCancelled(queue: queue, consumerTag: tag))
            self.client.jobSink.yield(.recoverConsumer(self, tag: tag, generation: generation))
        }
    }
}
