/// Why a connection, channel or request failed, as the client reports it.
public enum AMQPConnectionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The server closed the connection (e.g. 403 access-refused for bad credentials, 320 connection-forced).
    case connectionClosed(replyCode: ReplyCode, replyText: String, classID: UInt16, methodID: UInt16)
    /// The server closed the channel (e.g. 404 not-found, 406 precondition-failed).
    case channelClosed(channel: UInt16, replyCode: ReplyCode, replyText: String, classID: UInt16, methodID: UInt16)
    /// The peer broke the protocol; the connection is closed with `error.replyCode`.
    case protocolViolation(AMQPError)
    /// The server offers no mechanism this client can use (only PLAIN is implemented).
    case unsupportedMechanism(offered: String)
    /// The server speaks a protocol version other than 0-9.
    case unsupportedVersion(major: UInt8, minor: UInt8)
    /// The connection is not open (still handshaking, closing or closed).
    case connectionNotOpen
    /// The channel is not open, or is closing.
    case channelNotOpen(UInt16)
    /// Every channel number up to the negotiated channel_max is in use.
    case tooManyChannels(limit: UInt16)
    /// The client closed the connection.
    case closedByClient
    /// No reply within the operation's timeout.
    case timedOut(operation: String)
    /// The socket failed or the server vanished (including missed heartbeats); the text says how.
    case connectionLost(String)
    /// A publish or `waitUntilUnblocked` waited longer than its timeout while the server blocked
    /// the connection (`connection.blocked`, with the server's reason).
    case blockedTimedOut(reason: String)
    /// `publishConfirmed` on a channel without `confirmSelect()`.
    case confirmsNotEnabled(channel: UInt16)
    /// An ack, nack or reject for a delivery whose channel has closed since (or was replaced by
    /// recovery): its tag would name another message, so nothing was sent.
    case staleDelivery(channel: UInt16, deliveryTag: UInt64)
    /// `consume` with a consumer tag that a consumer on the same channel already uses; nothing was
    /// sent (the broker would close the connection with 530 NOT_ALLOWED).
    case consumerTagInUse(channel: UInt16, consumerTag: String)
    /// The server cancelled the consumer (`basic.cancel`: its queue was deleted, or its node failed).
    case consumerCancelled(channel: UInt16, consumerTag: String)
    /// No endpoint accepted a connection within the retry policy; `lastError` says why the last one failed.
    case noEndpointReachable(attempts: Int, lastError: String)
    /// A recovering client could not reconnect and gave up, or was closed.
    case clientClosed(String)

    public var description: String {
        switch self {
        case .connectionClosed(let code, let text, let classID, let methodID):
            "connection closed by server: \(code.rawValue) \(text) (method \(classID).\(methodID))"
        case .channelClosed(let channel, let code, let text, let classID, let methodID):
            "channel \(channel) closed by server: \(code.rawValue) \(text) (method \(classID).\(methodID))"
        case .protocolViolation(let error): "protocol violation: \(error)"
        case .unsupportedMechanism(let offered): "no supported SASL mechanism in '\(offered)' (need PLAIN)"
        case .unsupportedVersion(let major, let minor): "server speaks AMQP \(major)-\(minor), not 0-9"
        case .connectionNotOpen: "connection is not open"
        case .channelNotOpen(let channel): "channel \(channel) is not open"
        case .tooManyChannels(let limit): "all \(limit) channels are in use"
        case .closedByClient: "connection closed by client"
        case .timedOut(let operation): "\(operation) timed out"
        case .connectionLost(let reason): "connection lost: \(reason)"
        case .blockedTimedOut(let reason): "timed out while the server blocks the connection (\(reason))"
        case .confirmsNotEnabled(let channel): "channel \(channel) is not in confirm mode; call confirmSelect() first"
        case .staleDelivery(let channel, let tag): "delivery \(tag) came on channel \(channel), which has closed since; not acknowledged"
        case .consumerTagInUse(let channel, let tag): "consumer tag '\(tag)' is already in use on channel \(channel)"
        case .consumerCancelled(let channel, let tag): "server cancelled consumer '\(tag)' on channel \(channel)"
        case .noEndpointReachable(let attempts, let lastError): "no endpoint reachable after \(attempts) attempts; last: \(lastError)"
        case .clientClosed(let reason): "client closed: \(reason)"
        }
    }
}
