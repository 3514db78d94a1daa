import Bytes

/// What publishes messages: `AMQPChannel` and `RecoveringChannel`, so code that only publishes can
/// take either. Each gets the forms below that take a body as a `String` (sent as its UTF-8) or as
/// any sequence of bytes (`[UInt8]`, a slice, `Data`), so a caller needs the Bytes module only by
/// choice; those forms copy the bytes once into the `ByteBuffer` the frame encoder reads.
public protocol AMQPPublishing: Sendable {
    /// Publishes without waiting for the broker.
    func publish(exchange: String, routingKey: String, body: ByteBuffer, properties: BasicProperties, mandatory: Bool) throws(AMQPConnectionError)

    /// Publishes on a channel in confirm mode and awaits the broker's verdict.
    func publishConfirmed(
        exchange: String, routingKey: String, body: ByteBuffer, properties: BasicProperties, mandatory: Bool, timeout: Duration
    ) async throws(AMQPConnectionError) -> PublishConfirmation
}

extension AMQPPublishing {
    /// `publish` with the UTF-8 of `body`.
    public func publish(
        exchange: String = "", routingKey: String, body: String, properties: BasicProperties = BasicProperties(), mandatory: Bool = false
    ) throws(AMQPConnectionError) {
        try publish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(string: body), properties: properties, mandatory: mandatory)
    }

    /// `publish` with `body`'s bytes.
    public func publish(
        exchange: String = "", routingKey: String, body: some Sequence<UInt8>, properties: BasicProperties = BasicProperties(), mandatory: Bool = false
    ) throws(AMQPConnectionError) {
        try publish(exchange: exchange, routingKey: routingKey, body: ByteBuffer(bytes: body), properties: properties, mandatory: mandatory)
    }

    /// `publishConfirmed` with the UTF-8 of `body`.
    public func publishConfirmed(
        exchange: String = "", routingKey: String, body: String, properties: BasicProperties = BasicProperties(),
        mandatory: Bool = false, timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) -> PublishConfirmation {
        try await publishConfirmed(
            exchange: exchange, routingKey: routingKey, body: ByteBuffer(string: body), properties: properties, mandatory: mandatory, timeout: timeout)
    }

    /// `publishConfirmed` with `body`'s bytes.
    public func publishConfirmed(
        exchange: String = "", routingKey: String, body: some Sequence<UInt8>, properties: BasicProperties = BasicProperties(),
        mandatory: Bool = false, timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) -> PublishConfirmation {
        try await publishConfirmed(
            exchange: exchange, routingKey: routingKey, body: ByteBuffer(bytes: body), properties: properties, mandatory: mandatory, timeout: timeout)
    }
}

extension AMQPChannel: AMQPPublishing {}
extension RecoveringChannel: AMQPPublishing {}
