/// A notification ready to send.
public struct Notification: Sendable, Equatable {
    public var orderID: String
    public var email: String?
    /// One line for the recipient.
    public var message: String
}

/// Delivers notifications; the pipeline's default only logs, with a configurable latency.
public protocol NotificationSender: Sendable {
    func send(_ notification: Notification) async throws
}
