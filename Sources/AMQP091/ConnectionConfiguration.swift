/// What the client asks for when it connects.
public struct ConnectionConfiguration: Sendable {
    /// The user name for PLAIN authentication.
    public var user: String
    /// The password for PLAIN authentication.
    public var password: String
    /// The virtual host to open.
    public var virtualHost: String
    /// Highest channel number wanted; 0 accepts the server's limit.
    public var channelMax: UInt16
    /// Largest frame wanted, at least 4096.
    public var frameMax: UInt32
    /// Heartbeat interval wanted in seconds; 0 accepts the server's proposal.
    public var heartbeat: UInt16
    /// Extra client properties, e.g. `connection_name`; the client adds product, platform and capabilities.
    public var clientProperties: FieldTable

    /// A configuration taking user, password and virtual host from `url`. The limits are what
    /// the client asks for; `connection.tune` settles on the smaller of each side's non-zero value.
    /// `frameMax` below 4096 (the protocol minimum) counts as 4096.
    public init(
        url: AMQPURL = AMQPURL(), channelMax: UInt16 = 2047, frameMax: UInt32 = 131_072, heartbeat: UInt16 = 10,
        clientProperties: FieldTable = FieldTable()
    ) {
        user = url.user
        password = url.password
        virtualHost = url.virtualHost
        self.channelMax = channelMax
        self.frameMax = max(frameMax, UInt32(AMQPProtocol.frameMinSize))
        self.heartbeat = heartbeat
        self.clientProperties = clientProperties
    }

    /// The extensions this client implements, announced so RabbitMQ enables them.
    static let capabilities: FieldTable = [
        "publisher_confirms": true, "basic.nack": true, "consumer_cancel_notify": true, "connection.blocked": true,
        "authentication_failure_close": true, "exchange_exchange_bindings": true, "per_consumer_qos": true,
    ]

    /// Client properties sent in `connection.start-ok`.
    var startOkProperties: FieldTable {
        var properties: FieldTable = ["product": "order-pipeline AMQP091", "platform": "Swift", "capabilities": .table(Self.capabilities)]
        for entry in clientProperties.entries { properties[entry.key] = entry.value }
        return properties
    }
}
