import AMQP091
import Synchronization

/// Reads the dead-letter queue's depth for the dashboard over one long-lived channel, opened on
/// first use and again after a failure (a lost connection, or a channel the broker closed), rather
/// than a channel opened and closed per request.
final class DeadLetterGauge: Sendable {
    private let link: BrokerLink
    /// The channel in use; a lock because requests read it concurrently and must not suspend to.
    private let channel = Mutex<AMQPChannel?>(nil)

    init(link: BrokerLink) {
        self.link = link
    }

    /// Messages waiting in `orders.dead`, or nil while no broker answers.
    func depth() async -> Int64? {
        let current: AMQPChannel
        if let open = channel.withLock({ $0 }) {
            current = open
        } else {
            guard let connection = link.connection, let fresh = try? await connection.openChannel() else { return nil }
            // Two first requests at once may both open one; the one not kept is closed.
            let kept = channel.withLock { slot in
                if slot == nil { slot = fresh }
                return slot!
            }
            if !Self.same(kept, fresh) {
                try? await fresh.close()
            }
            current = kept
        }
        do {
            return try await PipelineTopology.deadLetterDepth(on: current)
        } catch {
            channel.withLock { if let held = $0, Self.same(held, current) { $0 = nil } }
            return nil
        }
    }

    private static func same(_ a: AMQPChannel, _ b: AMQPChannel) -> Bool {
        a.number == b.number && a.connection === b.connection
    }
}
