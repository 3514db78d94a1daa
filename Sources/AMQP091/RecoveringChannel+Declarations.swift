/// Declarations through a `RecoveringChannel`, recorded so that recovery can declare them again:
/// all of them after a reconnect, a queue's part when its consumer is cancelled by the server,
/// an exchange's part when a publish to it comes back unroutable.
extension RecoveringChannel {
    /// Declares an exchange (see `AMQPChannel.exchangeDeclare`), declared again on each recovery
    /// unless `passive`.
    public func exchangeDeclare(
        _ name: String, type: String = "direct", durable: Bool = true, autoDelete: Bool = false, internal isInternal: Bool = false,
        passive: Bool = false, arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        let declare = ExchangeDeclare(
            exchange: name, type: type, passive: passive, durable: durable, autoDelete: autoDelete, internal: isInternal, arguments: arguments)
        _ = try await current(timeout: timeout).call(declare, timeout: timeout)
        client.record { $0.declared(declare) }
    }

    /// Deletes an exchange (see `AMQPChannel.exchangeDelete`); recovery forgets it.
    public func exchangeDelete(_ name: String, ifUnused: Bool = false, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        try await current(timeout: timeout).exchangeDelete(name, ifUnused: ifUnused, timeout: timeout)
        client.record { $0.deletedExchange(name) }
    }

    /// Binds exchange `destination` to `source` (see `AMQPChannel.exchangeBind`), bound again on each recovery.
    public func exchangeBind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        let bind = ExchangeBind(destination: destination, source: source, routingKey: routingKey, arguments: arguments)
        _ = try await current(timeout: timeout).call(bind, timeout: timeout)
        client.record { $0.bound(bind) }
    }

    /// Removes an exchange binding (see `AMQPChannel.exchangeUnbind`); recovery forgets it.
    public func exchangeUnbind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        let unbind = ExchangeUnbind(destination: destination, source: source, routingKey: routingKey, arguments: arguments)
        _ = try await current(timeout: timeout).call(unbind, timeout: timeout)
        client.record { $0.unbound(unbind) }
    }

    /// Declares a queue (see `AMQPChannel.queueDeclare`). A server-named queue keeps the name
    /// returned here as its handle across recoveries.
    @discardableResult
    public func queueDeclare(
        _ name: String = "", durable: Bool = false, exclusive: Bool = false, autoDelete: Bool = false, passive: Bool = false,
        arguments: QueueArguments = QueueArguments(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) -> QueueDeclareOk {
        let declare = QueueDeclare(
            queue: client.resolve(name), passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments.table)
        var ok = try await current(timeout: timeout).call(declare, timeout: timeout)
        if !passive { client.record { $0.declared(declare, name: ok.queue) } } else { ok.queue = name }
        return ok
    }

    /// Binds a queue (see `AMQPChannel.queueBind`), bound again on each recovery, by the queue's
    /// current name for a server-named one.
    public func queueBind(
        _ queue: String, exchange: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        try await current(timeout: timeout).queueBind(client.resolve(queue), exchange: exchange, routingKey: routingKey, arguments: arguments, timeout: timeout)
        client.record { $0.bound(QueueBind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)) }
    }

    /// Removes a queue binding (see `AMQPChannel.queueUnbind`); recovery forgets it.
    public func queueUnbind(
        _ queue: String, exchange: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        try await current(timeout: timeout).queueUnbind(client.resolve(queue), exchange: exchange, routingKey: routingKey, arguments: arguments, timeout: timeout)
        client.record { $0.unbound(QueueUnbind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)) }
    }

    /// Removes every ready message (see `AMQPChannel.queuePurge`); returns how many.
    @discardableResult
    public func queuePurge(_ queue: String, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> UInt32 {
        try await current(timeout: timeout).queuePurge(client.resolve(queue), timeout: timeout)
    }

    /// Deletes a queue (see `AMQPChannel.queueDelete`); recovery forgets it. Returns how many
    /// messages it held.
    @discardableResult
    public func queueDelete(_ queue: String, ifUnused: Bool = false, ifEmpty: Bool = false, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> UInt32 {
        let count = try await current(timeout: timeout).queueDelete(client.resolve(queue), ifUnused: ifUnused, ifEmpty: ifEmpty, timeout: timeout)
        client.record { $0.deletedQueue(queue) }
        return count
    }
}
