/// A delivery as the processor's and notifier's handlers see it: the body, which attempt this
/// is, the trace it carries, and where it came from, for the spans of its processing.
public struct InboundMessage: Sendable {
    public var body: [UInt8]
    /// 1 on first delivery, counting redeliveries.
    public var attempt: Int
    public var trace: MessageTrace
    public var messageID: String?
    /// The exchange and routing key it was published with, and the queue it was consumed from.
    public var exchange: String
    public var routingKey: String
    public var queue: String
    public var deliveryTag: UInt64?
    /// The broker it was consumed from.
    public var broker: BrokerAddress?

    public init(body: [UInt8], attempt: Int = 1, trace: MessageTrace = .none, messageID: String? = nil, exchange: String = "",
                routingKey: String = "", queue: String = "", deliveryTag: UInt64? = nil, broker: BrokerAddress? = nil) {
        self.body = body
        self.attempt = attempt
        self.trace = trace
        self.messageID = messageID
        self.exchange = exchange
        self.routingKey = routingKey
        self.queue = queue
        self.deliveryTag = deliveryTag
        self.broker = broker
    }
}

/// A broker's host and port, as spans name the server (`server.address`, `server.port`).
public struct BrokerAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
