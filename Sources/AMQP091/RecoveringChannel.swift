import Bytes
import Synchronization

/// A channel of an `AMQPClient`, reopened after each recovery with its qos, confirm mode and
/// consumers. Mirrors `AMQPChannel`; what it declares is recorded and declared again on recovery.
///
/// Calls made while the client recovers wait for it, up to their timeout, except the
/// synchronous `publish`, which throws `AMQPConnectionError.connectionNotOpen`. Queue names of
/// server-named queues are translated to their current names (in publishes to the default
/// exchange, consumes, bindings, purge and delete). A channel the server closes with an error
/// (404, 406, …) stays closed, as with `AMQPChannel`.
public final class RecoveringChannel: Sendable {
    struct Registration {
        /// `basic.consume` as first sent; its queue is the name the application holds.
        let consume: BasicConsume
        /// The consumer's lasting sequence, fed by whichever connection is current.
        let deliveries: DeliveryQueue
    }

    struct State {
        /// Nil while the client recovers.
        var channel: AMQPChannel?
        var confirmWindow: Int?
        var qos: (count: UInt16, size: UInt32, global: Bool)?
        var consumers: [String: Registration] = [:]
        var nextTag = 0
        /// Set once closed by the user, by the server, or because recovery gave up.
        var closed: AMQPConnectionError?
    }

    let client: AMQPClient
    let id: UInt64
    let state: Mutex<State>

    init(client: AMQPClient, id: UInt64, channel: AMQPChannel) {
        self.client = client
        self.id = id
        state = Mutex(State(channel: channel))
    }

    /// The channel of the current connection, waiting out a recovery. A channel whose connection
    /// has just ended counts as gone already: the client has not noticed yet, and a call on it
    /// would only fail at once.
    func current(timeout: Duration) async throws -> AMQPChannel {
        for _ in 0..<2 {
            if let channel = try state.withLock({ state throws(AMQPConnectionError) in
                if let closed = state.closed { throw closed }
                return state.channel
            }), channel.connection.closeReason == nil {
                return channel
            }
            _ = try await client.currentConnection(timeout: timeout)
        }
        throw AMQPConnectionError.connectionNotOpen
    }

    /// Publishes without waiting (see `AMQPChannel.publish`).
    /// - Throws: `AMQPConnectionError.connectionNotOpen` while recovering.
    public func publish(
        exchange: String = "", routingKey: String, body: ByteBuffer, properties: BasicProperties = BasicProperties(), mandatory: Bool = false
    ) throws {
        let channel = try state.withLock { state throws(AMQPConnectionError) in
            if let closed = state.closed { throw closed }
            guard let channel = state.channel else { throw .connectionNotOpen }
            return channel
        }
        let key = exchange.isEmpty ? client.resolve(routingKey) : routingKey
        try channel.publish(exchange: exchange, routingKey: key, body: body, properties: properties, mandatory: mandatory)
    }

    /// Publishes and awaits the verdict (see `AMQPChannel.publishConfirmed`). A publish awaiting
    /// its confirm when the connection drops fails with the connection's error and is not resent.
    /// `timeout` bounds a wait for recovery and then the publish, each.
    public func publishConfirmed(
        exchange: String = "", routingKey: String, body: ByteBuffer, properties: BasicProperties = BasicProperties(),
        mandatory: Bool = false, timeout: Duration = .seconds(30)
    ) async throws -> PublishConfirmation {
        let channel = try await current(timeout: timeout)
        let key = exchange.isEmpty ? client.resolve(routingKey) : routingKey
        return try await channel.publishConfirmed(
            exchange: exchange, routingKey: key, body: body, properties: properties, mandatory: mandatory, timeout: timeout)
    }

    /// Confirm mode, restored after recovery.
    public func confirmSelect(window: Int = 1024, timeout: Duration = .seconds(30)) async throws {
        try await current(timeout: timeout).confirmSelect(window: window, timeout: timeout)
        state.withLock { $0.confirmWindow = window }
    }

    /// Prefetch, restored after recovery.
    public func qos(prefetchCount: UInt16, prefetchSize: UInt32 = 0, global: Bool = false, timeout: Duration = .seconds(30)) async throws {
        try await current(timeout: timeout).qos(prefetchCount: prefetchCount, prefetchSize: prefetchSize, global: global, timeout: timeout)
        state.withLock { $0.qos = (prefetchCount, prefetchSize, global) }
    }

    /// Starts a consumer that is re-registered after each recovery; its sequence continues across
    /// recoveries (see `RecoveringConsumer`). An empty tag gets one unique within the client.
    public func consume(
        queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws -> RecoveringConsumer {
        let tag = consumerTag.isEmpty ? state.withLock { state in
            state.nextTag += 1
            return "rctag-\(id)-\(state.nextTag)"
        } : consumerTag
        let registration = Registration(
            consume: BasicConsume(queue: queue, consumerTag: tag, noAck: noAck, exclusive: exclusive, arguments: arguments), deliveries: DeliveryQueue())
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

    /// Closes the channel; it is not reopened.
    public func close(timeout: Duration = .seconds(30)) async throws {
        let (channel, registrations) = state.withLock { state in
            state.closed = state.closed ?? .channelNotOpen(state.channel?.number ?? 0)
            defer { state.consumers = [:] }
            return (state.channel, Array(state.consumers.values))
        }
        client.forget(self)
        for registration in registrations { registration.deliveries.end(nil) }
        try await channel?.close(timeout: timeout)
    }

    // MARK: Declarations, recorded for recovery

    /// Declares an exchange (see `AMQPChannel.exchangeDeclare`), declared again on each recovery
    /// unless `passive`.
    public func exchangeDeclare(
        _ name: String, type: String = "direct", durable: Bool = true, autoDelete: Bool = false, internal isInternal: Bool = false,
        passive: Bool = false, arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws {
        let declare = ExchangeDeclare(
            exchange: name, type: type, passive: passive, durable: durable, autoDelete: autoDelete, internal: isInternal, arguments: arguments)
        let _: ExchangeDeclareOk = try await current(timeout: timeout).call(declare, timeout: timeout)
        client.record { $0.declared(declare) }
    }

    /// Deletes an exchange (see `AMQPChannel.exchangeDelete`); recovery forgets it.
    public func exchangeDelete(_ name: String, ifUnused: Bool = false, timeout: Duration = .seconds(30)) async throws {
        try await current(timeout: timeout).exchangeDelete(name, ifUnused: ifUnused, timeout: timeout)
        client.record { $0.deletedExchange(name) }
    }

    /// Binds exchange `destination` to `source` (see `AMQPChannel.exchangeBind`), bound again on each recovery.
    public func exchangeBind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws {
        let bind = ExchangeBind(destination: destination, source: source, routingKey: routingKey, arguments: arguments)
        let _: ExchangeBindOk = try await current(timeout: timeout).call(bind, timeout: timeout)
        client.record { $0.bound(bind) }
    }

    /// Removes an exchange binding (see `AMQPChannel.exchangeUnbind`); recovery forgets it.
    public func exchangeUnbind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws {
        let unbind = ExchangeUnbind(destination: destination, source: source, routingKey: routingKey, arguments: arguments)
        let _: ExchangeUnbindOk = try await current(timeout: timeout).call(unbind, timeout: timeout)
        client.record { $0.unbound(unbind) }
    }

    /// Declares a queue (see `AMQPChannel.queueDeclare`). A server-named queue keeps the name
    /// returned here as its handle across recoveries.
    @discardableResult
    public func queueDeclare(
        _ name: String = "", durable: Bool = false, exclusive: Bool = false, autoDelete: Bool = false, passive: Bool = false,
        arguments: QueueArguments = QueueArguments(), timeout: Duration = .seconds(30)
    ) async throws -> QueueDeclareOk {
        let declare = QueueDeclare(
            queue: client.resolve(name), passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments.table)
        var ok: QueueDeclareOk = try await current(timeout: timeout).call(declare, timeout: timeout)
        if !passive { client.record { $0.declared(declare, name: ok.queue) } } else { ok.queue = name }
        return ok
    }

    /// Binds a queue (see `AMQPChannel.queueBind`), bound again on each recovery, by the queue's
    /// current name for a server-named one.
    public func queueBind(
        _ queue: String, exchange: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws {
        try await current(timeout: timeout).queueBind(client.resolve(queue), exchange: exchange, routingKey: routingKey, arguments: arguments, timeout: timeout)
        client.record { $0.bound(QueueBind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)) }
    }

    /// Removes a queue binding (see `AMQPChannel.queueUnbind`); recovery forgets it.
    public func queueUnbind(
        _ queue: String, exchange: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws {
        try await current(timeout: timeout).queueUnbind(client.resolve(queue), exchange: exchange, routingKey: routingKey, arguments: arguments, timeout: timeout)
        client.record { $0.unbound(QueueUnbind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)) }
    }

    /// Removes every ready message (see `AMQPChannel.queuePurge`); returns how many.
    @discardableResult
    public func queuePurge(_ queue: String, timeout: Duration = .seconds(30)) async throws -> UInt32 {
        try await current(timeout: timeout).queuePurge(client.resolve(queue), timeout: timeout)
    }

    /// Deletes a queue (see `AMQPChannel.queueDelete`); recovery forgets it. Returns how many
    /// messages it held.
    @discardableResult
    public func queueDelete(_ queue: String, ifUnused: Bool = false, ifEmpty: Bool = false, timeout: Duration = .seconds(30)) async throws -> UInt32 {
        let count = try await current(timeout: timeout).queueDelete(client.resolve(queue), ifUnused: ifUnused, ifEmpty: ifEmpty, timeout: timeout)
        client.record { $0.deletedQueue(queue) }
        return count
    }

    // MARK: Recovery (driven by AMQPClient)

    /// Reopens the channel on a new connection with its settings and consumers.
    func restore(on connection: AMQPConnection) async throws {
        let (open, window, qos, consumers) = state.withLock { state in
            (state.closed == nil, state.confirmWindow, state.qos, state.consumers)
        }
        guard open else { return }
        let channel = try await connection.openChannel()
        if let qos { try await channel.qos(prefetchCount: qos.count, prefetchSize: qos.size, global: qos.global) }
        if let window { try await channel.confirmSelect(window: window) }
        for (_, registration) in consumers.sorted(by: { $0.key < $1.key }) {
            _ = try await channel.consume(resolved(registration.consume), into: sink(for: registration), timeout: .seconds(30))
        }
        state.withLock { $0.channel = channel }
    }

    /// The server closed channel `number` of `connection`: if that is this channel, it stays closed.
    func serverClosed(_ number: UInt16, on connection: AMQPConnection, _ error: AMQPConnectionError) {
        let registrations = state.withLock { state -> [Registration]? in
            guard let channel = state.channel, channel.number == number, channel.connection === connection else { return nil }
            state.closed = error
            defer { state.consumers = [:] }
            return Array(state.consumers.values)
        }
        guard let registrations else { return }
        for registration in registrations { registration.deliveries.end(error) }
        client.forget(self)
    }

    /// The connection is gone: calls wait for recovery from now on.
    func detach() {
        state.withLock { $0.channel = nil }
    }

    /// Recovery ended: consumers end with its error, or normally when nil (closed by the user).
    func fail(_ error: AMQPConnectionError?) {
        let registrations = state.withLock { state in
            state.closed = state.closed ?? error ?? .closedByClient
            state.channel = nil
            defer { state.consumers = [:] }
            return Array(state.consumers.values)
        }
        for registration in registrations { registration.deliveries.end(error) }
    }

    func cancelConsumer(_ tag: String, timeout: Duration) async throws {
        let channel = try await current(timeout: timeout)
        let _: BasicCancelOk = try await channel.call(BasicCancel(consumerTag: tag), timeout: timeout)
        channel.connection.removeConsumer(.init(channel: channel.number, tag: tag))
        state.withLock { $0.consumers.removeValue(forKey: tag) }?.deliveries.end(nil)
    }

    /// `consume` with the queue's current name (a server-named queue's changes on recovery).
    private func resolved(_ consume: BasicConsume) -> BasicConsume {
        var resolved = consume
        resolved.queue = client.resolve(consume.queue)
        return resolved
    }

    /// Where one connection delivers a consumer's messages: straight into its lasting sequence.
    /// The server cancelling the consumer or closing its channel ends the sequence. The end of
    /// the consumer's connection does not, whether lost or closed (the client closes a connection
    /// whose restore failed): recovery carries on, and `cancel`, `close` and the client's own
    /// close end the sequence themselves.
    private func sink(for registration: Registration) -> AMQPConnection.ConsumerSink {
        let tag = registration.consume.consumerTag
        let deliveries = registration.deliveries
        return AMQPConnection.ConsumerSink(queue: deliveries) { [weak self] error in
            switch error {
            case .channelClosed?, .consumerCancelled?:
                self?.state.withLock { _ = $0.consumers.removeValue(forKey: tag) }
                deliveries.end(error)
            default:
                break
            }
        }
    }
}

/// A consumer of a `RecoveringChannel`: its deliveries, across recoveries, as one sequence.
///
/// Ends after `cancel()` or when the client is closed; throws when the server cancels the
/// consumer, closes its channel, or when recovery gives up. Buffering as for `AMQPConsumer`.
public struct RecoveringConsumer: AsyncSequence, Sendable {
    /// Each element is one delivery.
    public typealias Element = AMQPDelivery

    /// The consumer tag, the same on every connection the client recovers to.
    public let tag: String
    let deliveries: DeliveryQueue
    let channel: RecoveringChannel

    /// The deliveries, across recoveries; one task at a time may iterate them. Iteration works
    /// as `AMQPConsumer.AsyncIterator`'s does.
    public func makeAsyncIterator() -> AMQPConsumer.AsyncIterator {
        AMQPConsumer.AsyncIterator(deliveries: deliveries)
    }

    /// Cancels the consumer; it is not re-registered after later recoveries.
    public func cancel(timeout: Duration = .seconds(30)) async throws {
        try await channel.cancelConsumer(tag, timeout: timeout)
    }
}
