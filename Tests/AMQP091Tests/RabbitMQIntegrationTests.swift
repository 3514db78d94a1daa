import AMQP091
import Bytes
import Foundation
import Testing

/// Round trips against the real RabbitMQ at `AMQP_URL` (default amqp://guest:guest@127.0.0.1:5672/).
@Suite(.serialized) struct RabbitMQIntegrationTests {
    static let url = ProcessInfo.processInfo.environment["AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/"

    func uniqueQueueName() -> String { "amqp091-test-\(UInt64.random(in: 0...UInt64.max))" }

    @Test func declarePublishGetConsumeAck() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueQueueName(), exclusive: true))
        #expect(queue.messageCount == 0)

        let properties = BasicProperties(contentType: "application/json", headers: ["attempt": .int32(1)], deliveryMode: 2, messageID: "m-1")
        try channel.publish(routingKey: queue.queue, body: #"{"order":1}"#, properties: properties)
        // Larger than frame_max (128 KiB), so it travels in several body frames each way.
        let large = ByteBuffer(bytes: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try channel.publish(routingKey: queue.queue, body: large)
        try channel.publish(routingKey: queue.queue, body: "third")

        let first = try #require(try await channel.get(queue: queue.queue, noAck: true))
        #expect(first.body == ByteBuffer(string: #"{"order":1}"#))
        #expect(first.properties == properties)

        let _: BasicQosOk = try await channel.call(BasicQos(prefetchCount: 10))
        let consumer = try await channel.consume(queue: queue.queue)
        var received: [ByteBuffer] = []
        for try await message in consumer.messages {
            received.append(message.body)
            guard case .basicDeliver(let deliver) = message.method else { break }
            try await channel.ack(deliveryTag: deliver.deliveryTag)
            if received.count == 2 { break }
        }
        #expect(received == [large, "third"])

        let cancelled: BasicCancelOk = try await channel.call(BasicCancel(consumerTag: consumer.tag))
        #expect(cancelled.consumerTag == consumer.tag)
        #expect(try await channel.get(queue: queue.queue) == nil)
        try await channel.close()
        try await connection.close()
    }

    @Test func serverRefusalClosesTheChannelWithItsReplyCode() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
        let channel = try await connection.openChannel()
        do {
            let _: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueQueueName(), passive: true))
            Issue.record("passive declare of a missing queue succeeded")
        } catch let AMQPConnectionError.channelClosed(number, code, _, classID, methodID) {
            #expect(number == channel.number && code == .notFound && classID == 50 && methodID == 10)
        }
        // The connection survives a channel error.
        let other = try await connection.openChannel()
        let _: QueueDeclareOk = try await other.call(QueueDeclare(queue: uniqueQueueName(), exclusive: true))
        try await connection.close()
    }

    @Test func wrongPasswordIsAccessRefused() async throws {
        var url = try AMQPURL(parsing: Self.url)
        url.password = "definitely-not-the-password"
        do {
            _ = try await AMQPConnection.connect(to: url, timeout: .seconds(10))
            Issue.record("connected with a wrong password")
        } catch let AMQPConnectionError.connectionClosed(code, _, _, _) {
            #expect(code == .accessRefused)
        }
    }
}
