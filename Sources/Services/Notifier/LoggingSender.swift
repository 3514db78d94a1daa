/// The default notification sender: logs the notification after a configurable latency, standing
/// in for an e-mail or push provider. The address is masked (`PersonalData`), and left out for an
/// order without one; the notification's text goes under `text`, as `msg` is the line's own.
public struct LoggingSender: NotificationSender {
    private let logger: JSONLogger
    private let latency: Duration

    public init(logger: JSONLogger, latency: Duration) {
        self.logger = logger
        self.latency = latency
    }

    /// Returns once the line is written, not merely queued: the notifier records the
    /// notification as sent when this returns, and a process killed right after must not have
    /// recorded a send whose line never left it.
    public func send(_ notification: Notification) async throws {
        if latency > .zero { try await Task.sleep(for: latency) }
        var fields: LogFields = ["order_id": .string(notification.orderID)]
        if let email = notification.email { fields["to"] = .string(PersonalData.maskedEmail(email)) }
        fields["text"] = .string(notification.message)
        logger.info("notification sent", fields)
        await JSONLogger.flush()
    }
}
