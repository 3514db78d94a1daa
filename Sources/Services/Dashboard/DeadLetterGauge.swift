import AMQP091

import Synchronization

/// Reads the dead-letter queue's depth for the dashboard over one long-lived recovering channel,
/// opened on first use, rather than a channel opened and closed per request. A missing queue
/// closes the channel (404), which the client opens again.
final class DeadLetterGauge: Sendable {
    private let client: AMQPClient
    /// The channel, once opened; a lock because requests read it concurrently and must not suspend to.
    private let channel = Mutex<RecoveringChannel?>(nil)

    init(client: AMQPClient) {
        self.client = client
    }

    /// Messages waiting in `orders.dead`, or nil while no broker answers.
    func depth() async -> Int64? {
        let current: RecoveringChannel
        if let open = channel.withLock({ $0 }) {
            current = open
        } else {
            guard client.isConnected, let fresh = try? await client.openChannel(timeout: .seconds(2)) else { return nil }
            // Two first requests at once may both open one; the one not kept is closed.
            let kept = channel.withLock { slot in
                if slot == nil { slot = fresh }
                return slot!
            }
            if kept !== fresh { try? await fresh.close() }
            current = kept
        }
        return try? await PipelineTopology.deadLetterDepth(on: current, timeout: .seconds(2))
    }
}
