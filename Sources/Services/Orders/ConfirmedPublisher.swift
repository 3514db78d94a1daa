/// Publishing with confirms, as the gateway and the processor need it, behind a small protocol
/// so their logic can be tested without a broker; `AMQPConfirmedPublisher` is the live one.

/// How a publish with confirms ended.
public enum PublishOutcome: Equatable, Sendable, CustomStringConvertible {
    /// The broker took responsibility for the message.
    case confirmed
    /// The broker refused it (basic.nack).
    case nacked
    /// No queue took it (basic.return of a mandatory publish).
    case returned
    /// No confirm came within the deadline; the broker may or may not have it.
    case timedOut
    /// The broker blocks publishing (`connection.blocked`, a memory or disk alarm) and did not
    /// unblock within the deadline; the message was not sent.
    case blocked(reason: String)

    public var description: String {
        switch self {
        case .confirmed: "confirmed"
        case .nacked: "refused by the broker (nack)"
        case .returned: "returned by the broker: no queue is bound for it"
        case .timedOut: "not confirmed in time"
        case .blocked(let reason): "not sent: the broker blocks publishing (\(reason))"
        }
    }
}

/// Thrown by a `ConfirmedPublisher` when the message certainly did not reach the broker (no
/// connection, say). Any other error leaves it unknown whether the broker has the message.
public struct PublishNotSent: Error, Sendable, CustomStringConvertible {
    /// Why nothing was sent.
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { "not sent: \(reason)" }
}

/// Publishing with publisher confirms (and mandatory routing) to one exchange.
public protocol ConfirmedPublisher: Sendable {
    /// The exchange published to.
    var exchange: String { get }
    /// The broker publishes go to now, for spans; nil when unknown.
    var broker: BrokerAddress? { get }
    /// Publishes `body` as a persistent message carrying `trace` and waits (at most `timeout`)
    /// for the broker's verdict.
    func publish(_ body: [UInt8], routingKey: String, messageID: String, trace: MessageTrace, timeout: Duration) async throws -> PublishOutcome
    /// The broker's reason while it blocks publishing (`connection.blocked`); nil otherwise. A
    /// publish then can only wait and time out, so callers answer at once instead.
    var blockedReason: String? { get }
}
