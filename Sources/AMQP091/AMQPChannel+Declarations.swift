/// Typed topology methods. Each waits for the broker's reply; a refusal (404 NOT_FOUND for a
/// passive declare of something missing, 406 PRECONDITION_FAILED for a redeclaration with other
/// properties, 403 ACCESS_REFUSED) throws `AMQPConnectionError` `.channelClosed` with the reply code
/// and text, and the broker closes the channel: later calls on it throw the same error.
extension AMQPChannel {
    /// Declares an exchange (`exchange.declare`); `type` is direct, fanout, topic, headers or a
    /// plugin's type. With `passive`, only checks that it exists.
    public func exchangeDeclare(
        _ name: String, type: String = "direct", durable: Bool = true, autoDelete: Bool = false, internal isInternal: Bool = false,
        passive: Bool = false, arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        let _: ExchangeDeclareOk = try await call(
            ExchangeDeclare(exchange: name, type: type, passive: passive, durable: durable, autoDelete: autoDelete, internal: isInternal, arguments: arguments),
            timeout: timeout)
    }

    /// Deletes an exchange; with `ifUnused`, only when it has no bindings.
    public func exchangeDelete(_ name: String, ifUnused: Bool = false, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        let _: ExchangeDeleteOk = try await call(ExchangeDelete(exchange: name, ifUnused: ifUnused), timeout: timeout)
    }

    /// Binds exchange `destination` to `source` (a RabbitMQ extension).
    public func exchangeBind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        let _: ExchangeBindOk = try await call(
            ExchangeBind(destination: destination, source: source, routingKey: routingKey, arguments: arguments), timeout: timeout)
    }

    /// Removes a binding made by `exchangeBind`; `routingKey` and `arguments` must match it.
    public func exchangeUnbind(
        destination: String, source: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        let _: ExchangeUnbindOk = try await call(
            ExchangeUnbind(destination: destination, source: source, routingKey: routingKey, arguments: arguments), timeout: timeout)
    }

    /// Declares a queue (`queue.declare`). An empty name asks the broker to name it (`amq.gen-…`).
    /// With `passive`, only checks that it exists.
    /// - Returns: the queue's name and its current message and consumer counts.
    @discardableResult
    public func queueDeclare(
        _ name: String = "", durable: Bool = false, exclusive: Bool = false, autoDelete: Bool = false, passive: Bool = false,
        arguments: QueueArguments = QueueArguments(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) -> QueueDeclareOk {
        try await call(
            QueueDeclare(queue: name, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments.table),
            timeout: timeout)
    }

    /// Binds `queue` to `exchange`: messages the exchange routes with `routingKey` (a pattern
    /// for topic exchanges, ignored by fanout; `arguments` match headers exchanges) reach the queue.
    public func queueBind(
        _ queue: String, exchange: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        let _: QueueBindOk = try await call(QueueBind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments), timeout: timeout)
    }

    /// Removes a binding made by `queueBind`; `routingKey` and `arguments` must match it.
    public func queueUnbind(
        _ queue: String, exchange: String, routingKey: String = "", arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) {
        let _: QueueUnbindOk = try await call(QueueUnbind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments), timeout: timeout)
    }

    /// Removes every ready message; returns how many.
    @discardableResult
    public func queuePurge(_ queue: String, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> UInt32 {
        let ok: QueuePurgeOk = try await call(QueuePurge(queue: queue), timeout: timeout)
        return ok.messageCount
    }

    /// Deletes a queue (only when unused/empty if asked); returns how many messages it held.
    @discardableResult
    public func queueDelete(_ queue: String, ifUnused: Bool = false, ifEmpty: Bool = false, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> UInt32 {
        let ok: QueueDeleteOk = try await call(QueueDelete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty), timeout: timeout)
        return ok.messageCount
    }
}
