import AMQP091
import Bytes
import Synchronization

/// Publishes persistent JSON messages to one exchange over a confirm-mode channel that is opened
/// anew on each broker connection (`install(on:)`, called from the link's setup).
public final class AMQPConfirmedPublisher: ConfirmedPublisher, Sendable {
    private let exchange: String
    private let mandatory: Bool
    private let window: Int
    private let channel = Mutex<AMQPChannel?>(nil)

    /// `mandatory` makes an unroutable message come back as `.returned` instead of vanishing.
    public init(exchange: String, mandatory: Bool, window: Int = 1024) {
        self.exchange = exchange
        self.mandatory = mandatory
        self.window = window
    }

    /// Opens the confirm-mode channel on a new connection.
    public func install(on connection: AMQPConnection) async throws {
        let fresh = try await connection.openChannel()
        try await fresh.confirmSelect(window: window)
        channel.withLock { $0 = fresh }
    }

    public func publish(_ body: [UInt8], routingKey: String, messageID: String, timeout: Duration) async throws -> PublishOutcome {
        guard let channel = channel.withLock({ $0 }) else { throw PublishNotSent(reason: "no broker connection") }
        let properties = BasicProperties(contentType: "application/json", deliveryMode: 2, messageID: messageID)
        do {
            switch try await channel.publishConfirmed(exchange: exchange, routingKey: routingKey, body: ByteBuffer(bytes: body),
                                                      properties: properties, mandatory: mandatory, timeout: timeout) {
            case .ack: return .confirmed
            case .nack: return .nacked
            case .returned: return .returned
            }
        } catch AMQPConnectionError.timedOut {
            return .timedOut
        }
    }
}
