import Bytes

/// A message with its content, as the server hands it over in `basic.deliver`, `basic.get-ok`
/// or `basic.return`.
public struct AMQPMessage: Sendable, Hashable {
    /// The method that carried the message: `.basicDeliver`, `.basicGetOk` or `.basicReturn`.
    public var method: AMQPMethod
    /// The properties from the content header.
    public var properties: BasicProperties
    /// The whole body; a slice of received bytes when it arrived in one body frame.
    public var body: ByteBuffer

    /// A message carried by `method` with these properties and body.
    public init(method: AMQPMethod, properties: BasicProperties, body: ByteBuffer) {
        self.method = method
        self.properties = properties
        self.body = body
    }
}
