import Transport

/// What a consumer does with a delivery once its handler is done.
public enum DeliveryAction: Equatable, Sendable {
    /// Processed (or already processed before): acknowledge.
    case ack
    /// Can never be processed (malformed, say): the message goes to the dead-letter queue with
    /// `reason` and the ids of the orders it names, in its headers and in the log line.
    case deadLetter(reason: String, orderIDs: [String])
    /// A failure that may be the message's own, so may never pass (a Redis script error on its
    /// data, say): wait, then give it back to the queue. The redelivery counts towards the
    /// queue's delivery limit, and the handler's `DeliveryRetryPolicy` dead-letters it once its
    /// budget is spent.
    case retry(after: Duration, reason: String)
    /// A failure of something the message waits on, not of the message (a blocked or alarmed
    /// broker, an event that found no route yet, for a decided order Redis failing or another
    /// notifier's lease): keep the delivery and handle it again after a
    /// backoff, for as long as it takes. Nothing is given back, so nothing counts towards the
    /// delivery limit.
    case hold(reason: String)
}
