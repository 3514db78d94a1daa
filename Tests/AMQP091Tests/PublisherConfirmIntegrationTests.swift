import AMQP091
import Bytes
import Foundation
import TestSupport
import Testing

/// `publishConfirmed` against the real RabbitMQ at `AMQP_URL`.
@Suite(.requires(.rabbitmq)) struct PublisherConfirmIntegrationTests {
    static let url = TestServer.rabbitmq.url()

    func connect() async throws -> AMQPConnection {
        try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
    }

    func uniqueName() -> String { "amqp091-test-\(UInt64.random(in: 0...UInt64.max))" }

    @Test func routedPublishesAreAckedAndAReturnedOneIsReportedAsReturned() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true))
        try await channel.confirmSelect()

        // Routed and unroutable mandatory publishes interleaved, all outstanding at once: each
        // return must land on its own publish.
        let outcomes = try await withThrowingTaskGroup(of: (Int, PublishConfirmation).self) { group in
            for index in 0..<20 {
                let routingKey = index % 3 == 0 ? uniqueName() : queue.queue
                group.addTask {
                    (index, try await channel.publishConfirmed(routingKey: routingKey, body: ByteBuffer(string: "m\(index)"), mandatory: true))
                }
            }
            var outcomes: [Int: PublishConfirmation] = [:]
            for try await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
        for index in 0..<20 {
            let expected: PublishConfirmation = index % 3 == 0 ? .returned(replyCode: .noRoute, replyText: "NO_ROUTE") : .ack
            #expect(outcomes[index] == expected, "publish \(index)")
        }
        let check: QueueDeclareOk = try await channel.call(QueueDeclare(queue: queue.queue, passive: true))
        #expect(check.messageCount == 13)
        try await connection.close()
    }

    @Test func aFullQueueWithRejectPublishNacks() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let arguments: FieldTable = ["x-max-length": .int32(1), "x-overflow": "reject-publish"]
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true, arguments: arguments))
        try await channel.confirmSelect()
        #expect(try await channel.publishConfirmed(routingKey: queue.queue, body: "first") == .ack)
        #expect(try await channel.publishConfirmed(routingKey: queue.queue, body: "second") == .nack)
        try await connection.close()
    }

    @Test func aSmallWindowStillConfirmsManyConcurrentPublishesInOrder() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true))
        try await channel.confirmSelect(window: 2)
        try await withThrowingTaskGroup(of: PublishConfirmation.self) { group in
            for index in 0..<200 {
                group.addTask { try await channel.publishConfirmed(routingKey: queue.queue, body: ByteBuffer(string: "\(index)")) }
            }
            for try await outcome in group { #expect(outcome == .ack) }
        }
        let check: QueueDeclareOk = try await channel.call(QueueDeclare(queue: queue.queue, passive: true))
        #expect(check.messageCount == 200)
        try await connection.close()
    }

    @Test func pendingConfirmsFailWithTheChannelErrorWhenTheChannelCloses() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        try await channel.confirmSelect()
        // Publishing to a missing exchange makes the broker close the channel with 404.
        do {
            _ = try await channel.publishConfirmed(exchange: uniqueName(), routingKey: "x", body: "lost")
            Issue.record("publish to a missing exchange was confirmed")
        } catch {
            #expect(error.code == .channelClosed, "\(error)")
            #expect(error.channel == channel.number && error.replyCode == .notFound)
        }
        // Later calls on the closed channel report the same reason.
        await #expect(throws: AMQPConnectionError.self) { try await channel.publishConfirmed(routingKey: "x", body: "after") }
        try await connection.close()
    }

    @Test func pendingConfirmsFailWhenTheConnectionCloses() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true))
        try await channel.confirmSelect(window: 1)
        let publishes = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 { group.addTask { _ = try await channel.publishConfirmed(routingKey: queue.queue, body: "x") } }
                try await group.waitForAll()
            }
        }
        try await connection.close()
        await #expect(throws: AMQPConnectionError.self) { try await publishes.value }
    }

    @Test func publishConfirmedNeedsConfirmMode() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        await #expect(throws: AMQPConnectionError.confirmsNotEnabled(channel: channel.number)) {
            try await channel.publishConfirmed(routingKey: "x", body: "y")
        }
        try await connection.close()
    }
}
