import AMQP091
import Bytes
import TestSupport
import Testing

/// Consumers, qos and delivery settlement against the real RabbitMQ at `AMQP_URL`.
@Suite(.requires(.rabbitmq)) struct ConsumerIntegrationTests {
    static let url = TestServer.rabbitmq.url()

    func connect() async throws -> AMQPConnection {
        try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
    }

    func uniqueName() -> String { "amqp091-test-\(UInt64.random(in: 0...UInt64.max))" }

    /// The next delivery, failing the test when the sequence ends instead.
    func next(_ iterator: inout AMQPConsumer.AsyncIterator) async throws -> AMQPDelivery {
        try #require(try await iterator.next())
    }

    @Test func prefetchLimitsUnackedDeliveries() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true))
        for index in 0..<5 { try channel.publish(routingKey: queue.queue, body: ByteBuffer(string: "\(index)")) }
        try await channel.qos(prefetchCount: 2)
        let consumer = try await channel.consume(queue: queue.queue)
        var iterator = consumer.makeAsyncIterator()
        let first = try await next(&iterator)
        let second = try await next(&iterator)
        #expect([first.body, second.body] == ["0", "1"])
        // With two unacked, the broker holds the rest: three stay ready.
        try await letTimePass(.milliseconds(200), because: .quietWindow)
        let held: QueueDeclareOk = try await channel.call(QueueDeclare(queue: queue.queue, passive: true))
        #expect(held.messageCount == 3)
        try second.ack(multiple: true)
        #expect(try await next(&iterator).body == "2")
        try await connection.close()
    }

    @Test func nackAndRejectRequeueOrDeadLetter() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let dead: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true))
        let arguments: FieldTable = ["x-dead-letter-exchange": "", "x-dead-letter-routing-key": .longString(ByteBuffer(string: dead.queue))]
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true, arguments: arguments))
        try channel.publish(routingKey: queue.queue, body: "a")
        try channel.publish(routingKey: queue.queue, body: "b")
        try await channel.qos(prefetchCount: 10)
        let consumer = try await channel.consume(queue: queue.queue)
        var iterator = consumer.makeAsyncIterator()

        let a = try await next(&iterator)
        #expect(a.body == "a" && !a.redelivered && a.routingKey == queue.queue && a.consumerTag == consumer.tag)
        try a.nack(requeue: true)
        let b = try await next(&iterator)
        #expect(b.body == "b")
        try b.reject(requeue: false)
        let again = try await next(&iterator)
        #expect(again.body == "a" && again.redelivered)
        try again.nack(requeue: false)

        try await eventually("both messages dead-lettered") {
            let deadLettered: QueueDeclareOk = try await channel.call(QueueDeclare(queue: dead.queue, passive: true))
            return deadLettered.messageCount == 2
        }
        let firstDead = try #require(try await channel.get(queue: dead.queue, noAck: true))
        #expect(firstDead.body == "b")
        try await connection.close()
    }

    @Test func quorumQueueRedeliveriesCarryTheDeliveryCount() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let name = uniqueName()
        _ = try await channel.call(QueueDeclare(queue: name, durable: true, arguments: ["x-queue-type": "quorum"])) as QueueDeclareOk
        try channel.publish(routingKey: name, body: "q")
        try await channel.qos(prefetchCount: 1)
        let consumer = try await channel.consume(queue: name)
        var iterator = consumer.makeAsyncIterator()
        let first = try await next(&iterator)
        #expect(first.deliveryCount == nil)
        try first.nack(requeue: true)
        let second = try await next(&iterator)
        #expect(second.redelivered)
        #expect(second.deliveryCount == 1)
        try second.ack()
        _ = try await channel.call(QueueDelete(queue: name)) as QueueDeleteOk
        try await connection.close()
    }

    @Test func cancelEndsTheSequence() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true))
        let consumer = try await channel.consume(queue: queue.queue, noAck: true)
        try channel.publish(routingKey: queue.queue, body: "one")
        var iterator = consumer.makeAsyncIterator()
        #expect(try await next(&iterator).body == "one")
        try await consumer.cancel()
        #expect(try await iterator.next() == nil)
        try channel.publish(routingKey: queue.queue, body: "kept")
        #expect(try await channel.get(queue: queue.queue, noAck: true)?.body == "kept")
        try await connection.close()
    }

    @Test func aServerCancelEndsTheSequenceWithATypedError() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName()))
        let consumer = try await channel.consume(queue: queue.queue)
        let other = try await connection.openChannel()
        _ = try await other.call(QueueDelete(queue: queue.queue)) as QueueDeleteOk
        do {
            for try await delivery in consumer { Issue.record("unexpected delivery \(delivery.message)") }
            Issue.record("sequence ended without an error")
        } catch {
            #expect(error == .consumerCancelled(channel: channel.number, consumerTag: consumer.tag))
        }
        try await connection.close()
    }

    @Test func settlingADeliveryOfAClosedChannelIsStaleAndSendsNothing() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true))
        try channel.publish(routingKey: queue.queue, body: "old")
        let consumer = try await channel.consume(queue: queue.queue)
        var iterator = consumer.makeAsyncIterator()
        let old = try await next(&iterator)
        try await channel.close()

        // The new channel reuses the number; the old tag must not ack its delivery.
        let reopened = try await connection.openChannel()
        #expect(reopened.number == channel.number)
        let newConsumer = try await reopened.consume(queue: queue.queue)
        var newIterator = newConsumer.makeAsyncIterator()
        let redelivered = try await next(&newIterator)
        #expect(redelivered.redelivered && redelivered.deliveryTag == old.deliveryTag)
        #expect(throws: AMQPConnectionError.staleDelivery(channel: channel.number, deliveryTag: old.deliveryTag)) { try old.ack() }
        try await reopened.close()
        // Not acked by the stale attempt: it is back in the queue.
        let other = try await connection.openChannel()
        #expect(try await other.get(queue: queue.queue, noAck: true)?.body == "old")
        try await connection.close()
    }

    @Test func aConsumerThatDoesNotReadHoldsItsPrefetchAndStallsNoOtherChannel() async throws {
        // With 1 s heartbeats the broker drops a connection it hears nothing from for 2 s.
        let url = try AMQPURL(parsing: Self.url)
        let connection = try await AMQPConnection.connect(to: url, configuration: ConnectionConfiguration(url: url, heartbeat: 1), timeout: .seconds(10))
        let slow = try await connection.openChannel()
        let queue = try await slow.queueDeclare(uniqueName(), exclusive: true)
        for index in 0..<500 { try slow.publish(routingKey: queue.queue, body: ByteBuffer(string: "\(index)")) }
        try await slow.qos(prefetchCount: 10)
        // Deliveries pile up in this consumer's buffer; nobody reads them.
        let ignored = try await slow.consume(queue: queue.queue)

        let other = try await connection.openChannel()
        let otherQueue = try await other.queueDeclare(uniqueName(), exclusive: true)
        try await other.confirmSelect()
        let clock = ContinuousClock()
        let start = clock.now
        var slowest = Duration.zero
        // Longer than the broker's heartbeat timeout: the connection must stay up throughout.
        while clock.now - start < .seconds(3) {
            let began = clock.now
            _ = try await other.queueDeclare(otherQueue.queue, passive: true, timeout: .seconds(5))
            #expect(try await other.publishConfirmed(routingKey: otherQueue.queue, body: "x", timeout: .seconds(5)) == .ack)
            slowest = max(slowest, clock.now - began)
            try await letTimePass(.milliseconds(50), because: .quietWindow)
        }
        #expect(slowest < .seconds(1), "an RPC on another channel took \(slowest)")
        #expect(connection.closeReason == nil)
        // The broker holds everything beyond the prefetch: the client buffered exactly 10.
        let held = try await other.queueDeclare(queue.queue, passive: true)
        #expect(held.messageCount == 490)
        try await ignored.cancel()
        try await connection.close()
    }

    @Test func anExclusiveConsumerLocksOtherConsumersOutWithAccessRefused() async throws {
        let connection = try await connect()
        let owner = try await connection.openChannel()
        let queue = try await owner.queueDeclare(uniqueName(), exclusive: true)
        let exclusive = try await owner.consume(queue: queue.queue, noAck: true, exclusive: true)

        let intruder = try await connection.openChannel()
        do {
            _ = try await intruder.consume(queue: queue.queue)
            Issue.record("a second consumer joined an exclusive one")
        } catch {
            #expect(error.code == .channelClosed, "\(error)")
            #expect(error.channel == intruder.number && error.replyCode == .accessRefused && error.classID == 60 && error.methodID == 20, "\(error)")
        }
        // Asking for exclusivity of a queue that already has a consumer is refused the same way.
        let second = try await connection.openChannel()
        let plainQueue = try await second.queueDeclare(uniqueName(), exclusive: true)
        _ = try await second.consume(queue: plainQueue.queue, noAck: true)
        let third = try await connection.openChannel()
        await #expect(throws: AMQPConnectionError.self) { _ = try await third.consume(queue: plainQueue.queue, exclusive: true) }

        // The exclusive consumer is unaffected.
        try owner.publish(routingKey: queue.queue, body: "mine")
        var iterator = exclusive.makeAsyncIterator()
        #expect(try await next(&iterator).body == "mine")
        try await connection.close()
    }

    @Test func explicitConsumerTagsNameTheConsumerAndItsDeliveries() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue = try await channel.queueDeclare(uniqueName(), exclusive: true)
        let consumer = try await channel.consume(queue: queue.queue, consumerTag: "orders-worker-1", noAck: true)
        #expect(consumer.tag == "orders-worker-1")
        try channel.publish(routingKey: queue.queue, body: "tagged")
        var iterator = consumer.makeAsyncIterator()
        #expect(try await next(&iterator).consumerTag == "orders-worker-1")

        // A tag is unique per channel: reusing it is refused before anything is sent, and the
        // channel and its consumer carry on.
        await #expect(throws: AMQPConnectionError.consumerTagInUse(channel: channel.number, consumerTag: "orders-worker-1")) {
            _ = try await channel.consume(queue: queue.queue, consumerTag: "orders-worker-1")
        }
        try channel.publish(routingKey: queue.queue, body: "still here")
        #expect(try await next(&iterator).body == "still here")
        // Another channel may use the same tag.
        let other = try await connection.openChannel()
        let twin = try await other.consume(queue: queue.queue, consumerTag: "orders-worker-1", noAck: true)
        #expect(twin.tag == "orders-worker-1")
        // Cancelling by that tag ends only this channel's consumer.
        try await consumer.cancel()
        #expect(try await iterator.next() == nil)
        try channel.publish(routingKey: queue.queue, body: "for the twin")
        var twinIterator = twin.makeAsyncIterator()
        #expect(try await twinIterator.next()?.body == "for the twin")
        try await connection.close()
    }
}
