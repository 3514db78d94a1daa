/// Something the server tells the connection outside any request.
public enum AMQPConnectionEvent: Sendable, Hashable {
    /// The server stopped reading from publishers (`connection.blocked`), e.g. on a memory alarm.
    case blocked(reason: String)
    /// The server reads from publishers again (`connection.unblocked`).
    case unblocked
    /// A mandatory message that could not be routed came back (`basic.return`).
    case returned(channel: UInt16, AMQPMessage)
    /// A publisher confirm on a channel put in confirm mode with a direct `confirm.select` (channels
    /// set up with `confirmSelect()` report confirms to `publishConfirmed` instead): ack true for
    /// `basic.ack`, false for `basic.nack`.
    case confirm(channel: UInt16, deliveryTag: UInt64, multiple: Bool, ack: Bool)
    /// The server closed a channel.
    case channelClosed(channel: UInt16, AMQPConnectionError)
}
