import AMQP091
import Synchronization

/// Reads queue depths for the dashboard with passive declares (which create nothing) over one
/// long-lived recovering channel, opened on first use, rather than a channel opened and closed
/// per read. A missing queue closes the channel (404), which the client opens again.
final class QueueDepthGauge: Sendable {
    private let client: AMQPClient
    /// The channel, once opened; a lock because reads come concurrently and must not suspend to.
    private let channel = Mutex<RecoveringChannel?>(nil)

    init(client: AMQPClient) {
        self.client = client
    }

    /// Messages ready in `queue`, or nil while no broker answers (or the queue does not exist).
    func depth(of queue: String, timeout: Duration = .seconds(2)) async -> Int64? {
        guard let channel = await openChannel(timeout: timeout) else { return nil }
        return try? await Int64(channel.queueDeclare(queue, passive: true, timeout: timeout).messageCount)
    }

    /// The depth of each of `queues`, asked one after the other on the one channel.
    func depths(of queues: [String], timeout: Duration = .seconds(2)) async -> [String: Int64?] {
        var depths: [String: Int64?] = [:]
        for queue in queues { depths[queue] = await depth(of: queue, timeout: timeout) }
        return depths
    }

    private func openChannel(timeout: Duration) async -> RecoveringChannel? {
        if let open = channel.withLock({ $0 }) { return open }
        guard client.isConnected, let fresh = try? await client.openChannel(timeout: timeout) else { return nil }
        // Two first reads at once may both open one; the one not kept is closed.
        let kept = channel.withLock { slot in
            if slot == nil { slot = fresh }
            return slot!
        }
        if kept !== fresh { try? await fresh.close() }
        return kept
    }
}
