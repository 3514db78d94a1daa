import AMQP091
import Bytes
import Synchronization

/// Publishes persistent JSON messages to one exchange over a confirm-mode channel that is opened
/// anew on each broker connection (`install(on:)`, called from the link's setup).
public final class AMQPConfirmedPublisher: ConfirmedPublisher, Sendable {
    /// Thrown while no broker connection is up; the gateway answers 503.
    public struct NotConnected: Error, CustomStringConvertible {
        public var description: String { "no broker connection" }
    }

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
        guard let channel = channel.withLock({ $0 }) else { throw NotConnected() }
        let properties = BasicProperties(contentType: "application/json", deliveryMode: 2, messageID: messageID)
        let confirmation: PublishConfirmation
        do {
            confirmation = try await channel.publishConfirmed(exchange: exchange, routingKey: routingKey, body: ByteBuffer(bytes: body),
                                                              properties: properties, mandatory: mandatory, timeout: timeout)
        } catch {
            guard error.code == .timedOut else { throw error }
            return .timedOut
        }
        switch confirmation {
        case .ack: return .confirmed
        case .nack: return .nacked
        case .returned: return .returned
        }
    }
}
