/// The notifier's Redis operations, as a small protocol so its logic can be tested without
/// sockets; `RedisPipelineStore` is the live implementation.

/// Where one notification stands after `NotificationStore.lease`.
public enum LeaseResult: Sendable, Equatable {
    /// Already recorded as sent: nothing to do.
    case alreadySent
    /// The lease is ours: send, then record.
    case taken
    /// Another notifier holds the lease: it sends and records.
    case held
}

/// The notifier's leases and delivery records, for the notifications of one message at a time.
public protocol NotificationStore: Sendable {
    /// For each order (distinct ids): reports one already sent, else takes its `notif:<id>` lease
    /// with `token` for `ttl` unless another notifier holds it. A lease `token` already holds is
    /// taken again (its TTL renewed): an earlier attempt took it and lost the reply.
    func lease(_ orderIDs: [String], token: String, ttl: Duration) async throws -> [LeaseResult]
    /// Gives up the leases `token` still holds, so a retry need not wait for them to lapse.
    func releaseLeases(_ orderIDs: [String], token: String) async throws
    /// Records each as sent unless another token holds its lease; per order, false when one does
    /// (its holder records the send). `sendID` names this attempt's sends, which the record counts
    /// once however often it is retried.
    func recordSent(_ orderIDs: [String], token: String, sendID: String) async throws -> [Bool]
}
