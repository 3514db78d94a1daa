import Bytes

/// Something a subscribed connection receives: a message, or a confirmation of a change to its
/// subscriptions (which also arrives again after the subscriber reconnects and resubscribes).
public enum RedisPubSubEvent: Sendable, Hashable {
    /// A message published to a subscribed channel.
    case message(channel: String, payload: ByteBuffer)
    /// A message published to a channel matching a subscribed pattern.
    case patternMessage(pattern: String, channel: String, payload: ByteBuffer)
    /// SUBSCRIBE or PSUBSCRIBE took effect; `count` is the connection's number of subscriptions.
    case subscribed(channelOrPattern: String, count: Int)
    /// UNSUBSCRIBE or PUNSUBSCRIBE took effect.
    case unsubscribed(channelOrPattern: String, count: Int)
    /// The server refused a command of the subscriber, such as a SUBSCRIBE to a channel its ACL
    /// user may not use (`NOPERM`). The refused subscription does not take effect; the
    /// subscriber keeps asking for it after each reconnect until it is unsubscribed.
    case serverError(RedisServerError)

    /// Reads a pushed RESP2 array such as `["message", channel, payload]`, or an error reply; nil
    /// for anything else (such as the reply to PING).
    public init?(_ value: RESPValue) {
        if case .error(let text) = value {
            self = .serverError(RedisServerError(reply: String(describing: text)))
            return
        }
        guard case .array(let parts) = value, let kind = parts.first?.string else { return nil }
        let text = parts.dropFirst().map(\.string)
        switch (kind, parts.count) {
        case ("message", 3):
            guard let channel = text[0], case .bulkString(let payload) = parts[2] else { return nil }
            self = .message(channel: channel, payload: payload)
        case ("pmessage", 4):
            guard let pattern = text[0], let channel = text[1], case .bulkString(let payload) = parts[3] else { return nil }
            self = .patternMessage(pattern: pattern, channel: channel, payload: payload)
        case ("subscribe", 3), ("psubscribe", 3), ("unsubscribe", 3), ("punsubscribe", 3):
            guard case .integer(let count) = parts[2] else { return nil }
            // UNSUBSCRIBE with nothing subscribed answers a null channel.
            let name = text[0] ?? ""
            self = kind.hasSuffix("unsubscribe") ? .unsubscribed(channelOrPattern: name, count: Int(count)) : .subscribed(channelOrPattern: name, count: Int(count))
        default:
            return nil
        }
    }
}
