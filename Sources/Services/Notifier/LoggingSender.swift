/// The default notification sender: logs the notification after a configurable latency, standing
/// in for an e-mail or push provider.
public struct LoggingSender: NotificationSender {
    private let logger: JSONLogger
    private let latency: Duration

    public init(logger: JSONLogger, latency: Duration) {
        self.logger = logger
        self.latency = latency
    }

    public func send(_ notification: Notification) async throws {
        if latency > .zero { try await Task.sleep(for: latency) }
        logger.info("notification sent", ["order_id": notification.orderID, "to": notification.email ?? "", "message": notification.message])
    }
}
