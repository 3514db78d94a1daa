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
    }

    /// Most outstanding publishes before publishers wait.
    let window: Int
    /// The sequence number the next publish gets.
    private(set) var nextSequence: UInt64 = 1
    /// Unconfirmed publishes; sequence numbers below `lowest` are all confirmed.
    private var entries: [UInt64: Entry] = [:]
    private var lowest: UInt64 = 1

    init(window: Int) {
        self.window = max(window, 1)
    }

    /// Publishes awaiting the broker's ack or nack.
    var outstanding: Int { entries.count }
    var hasRoom: Bool { entries.count < window }

    /// Records a publish just sent and returns its sequence number.
    mutating func published(ticket: UInt64?) -> UInt64 {
        let sequence = nextSequence
        nextSequence += 1
        entries[sequence] = Entry(ticket: ticket)
        return sequence
    }

    /// Records a `basic.return` for the publish numbered `sequence`.
    mutating func returned(sequence: UInt64, replyCode: ReplyCode, replyText: String) {
        entries[sequence]?.returned = .returned(replyCode: replyCode, replyText: replyText)
    }

    /// Applies `basic.ack` / `basic.nack`; returns the tickets it settles with their outcomes, in
    /// sequence order.
    mutating func confirmed(deliveryTag: UInt64, multiple: Bool, ack: Bool) -> [(ticket: UInt64, outcome: PublishConfirmation)] {
        var settled: [(ticket: UInt64, outcome: PublishConfirmation)] = []
        func settle(_ sequence: UInt64) {
            guard let entry = entries.removeValue(forKey: sequence) else { return }
            if let ticket = entry.ticket { settled.append((ticket, ack ? entry.returned ?? .ack : .nack)) }
        }
        if multiple {
            // Sequence numbers only grow, so walking up from the lowest unconfirmed one costs
            // each publish one step in total.
            while lowest <= deliveryTag {
                settle(lowest)
                lowest += 1
            }
        } else {
            settle(deliveryTag)
        }
        while lowest < nextSequence, entries[lowest] == nil { lowest += 1 }
        return settled
    }

    /// Forgets every outstanding publish (the channel closed); returns the tickets waiting.
    mutating func removeAll() -> [UInt64] {
        let tickets = entries.keys.sorted().compactMap { entries[$0]?.ticket }
        entries = [:]
        lowest = nextSequence
        return tickets
    }
}
