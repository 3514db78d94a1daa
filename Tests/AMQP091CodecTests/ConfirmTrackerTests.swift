@testable import AMQP091
import Testing

@Suite struct ConfirmTrackerTests {
    @Test func sequenceNumbersCountEveryPublishIncludingUntrackedOnes() {
        var tracker = ConfirmTracker(window: 10)
        #expect(tracker.published(ticket: 100) == 1)
        #expect(tracker.published(ticket: nil) == 2)
        #expect(tracker.published(ticket: 300) == 3)
        #expect(tracker.outstanding == 3)
        let settled = tracker.confirmed(deliveryTag: 3, multiple: true, ack: true)
        #expect(settled.map(\.ticket) == [100, 300])
        #expect(settled.map(\.outcome) == [.ack, .ack])
        #expect(tracker.outstanding == 0)
    }

    @Test func singleAndMultipleConfirmsSettleExactlyTheirPublishes() {
        var tracker = ConfirmTracker(window: 10)
        for ticket in 1...5 as ClosedRange<UInt64> { _ = tracker.published(ticket: ticket * 10) }
        #expect(tracker.confirmed(deliveryTag: 4, multiple: false, ack: false).map(\.ticket) == [40])
        #expect(tracker.confirmed(deliveryTag: 2, multiple: true, ack: true).map(\.ticket) == [10, 20])
        // 4 is already settled; a repeated or late confirm changes nothing.
        #expect(tracker.confirmed(deliveryTag: 4, multiple: false, ack: true).isEmpty)
        let rest = tracker.confirmed(deliveryTag: 5, multiple: true, ack: false)
        #expect(rest.map(\.ticket) == [30, 50])
        #expect(rest.map(\.outcome) == [.nack, .nack])
    }

    @Test func aReturnBeforeItsAckMakesTheOutcomeReturned() {
        var tracker = ConfirmTracker(window: 10)
        _ = tracker.published(ticket: 1)
        _ = tracker.published(ticket: 2)
        tracker.returned(sequence: 2, replyCode: .noRoute, replyText: "NO_ROUTE")
        let settled = tracker.confirmed(deliveryTag: 2, multiple: true, ack: true)
        #expect(settled.map(\.outcome) == [.ack, .returned(replyCode: .noRoute, replyText: "NO_ROUTE")])
    }

    @Test func theWindowHasRoomUntilItIsFull() {
        var tracker = ConfirmTracker(window: 2)
        #expect(tracker.hasRoom)
        _ = tracker.published(ticket: 1)
        _ = tracker.published(ticket: 2)
        #expect(!tracker.hasRoom)
        _ = tracker.confirmed(deliveryTag: 1, multiple: false, ack: true)
        #expect(tracker.hasRoom)
    }

    @Test func removeAllHandsBackEveryWaitingTicketInOrder() {
        var tracker = ConfirmTracker(window: 10)
        _ = tracker.published(ticket: 7)
        _ = tracker.published(ticket: nil)
        _ = tracker.published(ticket: 9)
        #expect(tracker.removeAll() == [7, 9])
        #expect(tracker.outstanding == 0)
        #expect(tracker.published(ticket: 11) == 4)
    }
}

extension ConfirmTracker {
    /// What `confirmed` settles, as a list.
    mutating func confirmed(deliveryTag: UInt64, multiple: Bool, ack: Bool) -> [(ticket: UInt64, outcome: PublishConfirmation)] {
        var settled: [(ticket: UInt64, outcome: PublishConfirmation)] = []
        confirmed(deliveryTag: deliveryTag, multiple: multiple, ack: ack) { settled.append(($0, $1)) }
        return settled
    }
}
