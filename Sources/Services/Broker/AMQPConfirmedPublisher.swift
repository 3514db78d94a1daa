import AMQP091
import Bytes

import Synchronization

/// Publishes persistent JSON messages to one exchange over a confirm-mode channel of a
/// recovering client, which reopens it after each reconnect and repairs the route of a message
/// that came back unroutable. A message's trace goes in its headers (`TraceHeaders`).
public final class AMQPConfirmedPublisher: ConfirmedPublisher, Sendable {
    private let client: AMQPClient
    public let exchange: String
    private let mandatory: Bool
    private let currentBroker: @Sendable () -> BrokerAddress?
    private let window: Int
    private let channel = Mutex<RecoveringChannel?>(nil)

    /// `mandatory` makes an unroutable message come back as `.returned` instead of vanishing;
    /// `broker` tells which of the client's endpoints it is connected to.
    public init(client: AMQPClient, exchange: String, mandatory: Bool, window: Int = 1024, broker: @escaping @Sendable () -> BrokerAddress? = { nil }) {
        self.client = client
        self.exchange = exchange
        self.mandatory = mandatory
        self.window = window
        currentBroker = broker
    }

    public var broker: BrokerAddress? { currentBroker() }

    /// Opens the confirm-mode channel, waiting for the client's connection at most `timeout`.
    public func open(timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        let opened = try await client.openChannel(timeout: timeout)
        try await opened.confirmSelect(window: window)
        channel.withLock { $0 = opened }
    }

    public var blockedReason: String? { client.blockedReason }

    /// Whether a mandatory publish can route: false from a return until the client has declared
    /// the exchange's recorded topology again.
    public var isRoutable: Bool { !client.unroutableExchanges.contains(exchange) }

    public func publish(_ body: [UInt8], routingKey: String, messageID: String, trace: MessageTrace, timeout: Duration) async throws -> PublishOutcome {
        guard let channel = channel.withLock({ $0 }) else { throw PublishNotSent(reason: "no broker connection") }
        var properties = BasicProperties(contentType: "application/json", deliveryMode: 2, messageID: messageID)
        if trace != .none {
            var headers = FieldTable()
            TraceHeaders.write(trace, into: &headers)
            if !headers.isEmpty { properties.headers = headers }
        }
        let confirmation: PublishConfirmation
        do {
            confirmation = try await channel.publishConfirmed(exchange: exchange, routingKey: routingKey, body: ByteBuffer(bytes: body),
                                                              properties: properties, mandatory: mandatory, timeout: timeout)
        } catch {
            switch error.code {
            case .timedOut: return .timedOut
            case .blockedTimedOut: return .blocked(reason: error.message)
            default: throw error
            }
        }
        switch confirmation {
        case .ack: return .confirmed
        case .nack: return .nacked
        case .returned: return .returned
        }
    }
}
