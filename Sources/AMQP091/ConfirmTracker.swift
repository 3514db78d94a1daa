import Bytes
/// The outcome of a publish on a channel in confirm mode.
public enum PublishConfirmation: Sendable, Hashable {
    /// The broker took responsibility for the message (`basic.ack`).
    case ack
    /// The broker could not take the message (`basic.nack`), e.g. a queue's overflow is reject-publish.
    case nack
    /// A mandatory message that no queue took came back (`basic.return`, e.g. 312 NO_ROUTE). The
    /// broker acks such a message afterwards; that ack does not make it delivered.
    case returned(replyCode: ReplyCode, replyText: String)
}

/// Publisher-confirm bookkeeping for one channel, pure: sequence numbers in, outcomes out.
///
/// The broker numbers every publish on a confirm-mode channel from 1, so every publish must pass
/// through `published`, including those nobody waits for (`ticket` nil). Returns are correlated
/// by sequence number: a mandatory confirmed publish carries its number in the
/// `returnCorrelationHeader` header, which `basic.return` echoes back; RabbitMQ sends the return
/// before the ack of the same message, so the return is recorded and reported with that ack.
struct ConfirmTracker {
    /// The header a mandatory confirmed publish carries its sequence number in.
    static let returnCorrelationHeader = "x-publish-sequence"

    struct Entry {
        /// Who waits for the outcome; nil for a publish nobody waits for.
        var ticket: UInt64?
        var returned: PublishConfirmation?
        /// Settled by a single (not `multiple`) confirm while older publishes are still open.
        var settled = false
    }

    /// Most outstanding publishes before publishers wait.
    let window: Int
    /// The sequence number the next publish gets.
    private(set) var nextSequence: UInt64 = 1
    /// Publishes numbered `lowest..<nextSequence`, oldest first. Sequence numbers are dense, so
    /// a queue indexed from `lowest` replaces a dictionary.
    private var entries = FIFO<Entry>()
    private var lowest: UInt64 = 1
    /// Publishes awaiting the broker's ack or nack.
    private(set) var outstanding = 0

    init(window: Int) {
        self.window = max(window, 1)
    }

    var hasRoom: Bool { outstanding < window }

    /// Records a publish just sent and returns its sequence number.
    @discardableResult
    mutating func published(ticket: UInt64?) -> UInt64 {
        let sequence = nextSequence
        nextSequence += 1
        entries.append(Entry(ticket: ticket))
        outstanding += 1
        return sequence
    }

    /// Records a `basic.return` for the publish numbered `sequence`.
    mutating func returned(sequence: UInt64, replyCode: ReplyCode, replyText: String) {
        guard sequence >= lowest, sequence < nextSequence else { return }
        entries[Int(sequence - lowest)].returned = .returned(replyCode: replyCode, replyText: replyText)
    }

    /// Applies `basic.ack` / `basic.nack`, handing each ticket it settles with its outcome to
    /// `settle`, in sequence order. A confirm for nothing outstanding changes nothing.
    mutating func confirmed(deliveryTag: UInt64, multiple: Bool, ack: Bool, _ settle: (_ ticket: UInt64, _ outcome: PublishConfirmation) -> Void) {
        func outcome(_ entry: Entry) -> PublishConfirmation { ack ? entry.returned ?? .ack : .nack }
        if multiple {
            while lowest <= deliveryTag, let entry = entries.popFirst() {
                lowest += 1
                guard !entry.settled else { continue }
                outstanding -= 1
                if let ticket = entry.ticket { settle(ticket, outcome(entry)) }
            }
        } else if deliveryTag >= lowest, deliveryTag < nextSequence, !entries[Int(deliveryTag - lowest)].settled {
            let offset = Int(deliveryTag - lowest)
            entries[offset].settled = true
            outstanding -= 1
            if let ticket = entries[offset].ticket { settle(ticket, outcome(entries[offset])) }
        }
        while entries.first?.settled == true {
            _ = entries.popFirst()
            lowest += 1
        }
    }

    /// Forgets every outstanding publish (the channel closed); returns the tickets waiting, in order.
    mutating func removeAll() -> [UInt64] {
        var tickets: [UInt64] = []
        entries.removeAll { entry in
            if !entry.settled, let ticket = entry.ticket { tickets.append(ticket) }
        }
        lowest = nextSequence
        outstanding = 0
        return tickets
    }
}
