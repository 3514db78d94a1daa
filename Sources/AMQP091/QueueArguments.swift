/// The optional `x-` arguments of `queue.declare` that RabbitMQ understands, typed.
///
/// ```swift
/// let arguments = QueueArguments(type: .quorum, deadLetterExchange: "orders.dlx", deliveryLimit: 5)
/// try await channel.queueDeclare("orders", durable: true, arguments: arguments)
/// ```
public struct QueueArguments: Sendable, Hashable {
    /// `x-queue-type`.
    public enum QueueType: String, Sendable, Hashable {
        case classic, quorum, stream
    }

    /// `x-overflow`: what a full queue (see `maxLength`) does with a new message.
    public enum Overflow: String, Sendable, Hashable {
        case dropHead = "drop-head"
        case rejectPublish = "reject-publish"
        case rejectPublishDLX = "reject-publish-dlx"
    }

    /// `x-queue-type`: classic, quorum (replicated, with delivery limits) or stream.
    public var type: QueueType?
    /// `x-dead-letter-exchange`: where rejected, expired or dropped messages go ("" is the default exchange).
    public var deadLetterExchange: String?
    /// `x-dead-letter-routing-key`: replaces the message's routing key when dead-lettering.
    public var deadLetterRoutingKey: String?
    /// `x-delivery-limit` (quorum queues): deliveries before a message is dead-lettered or dropped.
    public var deliveryLimit: Int64?
    /// `x-message-ttl` in milliseconds.
    public var messageTTL: Int64?
    /// `x-expires`: milliseconds unused before the queue is deleted.
    public var expires: Int64?
    /// `x-max-length` in messages.
    public var maxLength: Int64?
    /// `x-overflow`: what happens to a new message when the queue is at `maxLength`.
    public var overflow: Overflow?
    /// Anything else, sent after the typed entries.
    public var extra: FieldTable

    /// Arguments with the given entries set; nil leaves an argument out (the broker's default).
    public init(
        type: QueueType? = nil, deadLetterExchange: String? = nil, deadLetterRoutingKey: String? = nil,
        deliveryLimit: Int64? = nil, messageTTL: Int64? = nil, expires: Int64? = nil, maxLength: Int64? = nil,
        overflow: Overflow? = nil, extra: FieldTable = FieldTable()
    ) {
        self.type = type
        self.deadLetterExchange = deadLetterExchange
        self.deadLetterRoutingKey = deadLetterRoutingKey
        self.deliveryLimit = deliveryLimit
        self.messageTTL = messageTTL
        self.expires = expires
        self.maxLength = maxLength
        self.overflow = overflow
        self.extra = extra
    }

    /// The arguments as the field table `queue.declare` carries.
    public var table: FieldTable {
        var entries: [(key: String, value: FieldValue)] = []
        func add(_ key: String, _ value: FieldValue?) {
            if let value { entries.append((key, value)) }
        }
        add("x-queue-type", type.map { .longString(.init(string: $0.rawValue)) })
        add("x-dead-letter-exchange", deadLetterExchange.map { .longString(.init(string: $0)) })
        add("x-dead-letter-routing-key", deadLetterRoutingKey.map { .longString(.init(string: $0)) })
        add("x-delivery-limit", deliveryLimit.map { .int64($0) })
        add("x-message-ttl", messageTTL.map { .int64($0) })
        add("x-expires", expires.map { .int64($0) })
        add("x-max-length", maxLength.map { .int64($0) })
        add("x-overflow", overflow.map { .longString(.init(string: $0.rawValue)) })
        return FieldTable(entries + extra.entries)
    }
}
