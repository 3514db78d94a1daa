import AMQP091
import Bytes
import TestSupport
import Testing

/// Typed declarations against the real RabbitMQ at `AMQP_URL`.
@Suite(.requires(.rabbitmq)) struct DeclarationIntegrationTests {
    static let url = TestServer.rabbitmq.url()

    func connect() async throws -> AMQPConnection {
        try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
    }

    func uniqueName() -> String { "amqp091-test-\(UInt64.random(in: 0...UInt64.max))" }

    @Test func exchangesQueuesAndBindingsRouteAndReportCounts() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let topic = uniqueName(), fanout = uniqueName()
        try await channel.exchangeDeclare(topic, type: "topic", durable: false)
        try await channel.exchangeDeclare(fanout, type: "fanout", durable: false)
        try await channel.exchangeBind(destination: fanout, source: topic, routingKey: "order.*")
        let server = try await channel.queueDeclare(exclusive: true)
        #expect(server.queue.hasPrefix("amq.gen-"))
        try await channel.queueBind(server.queue, exchange: fanout)
        // Confirmed publishes are in the queue by the time the ack comes, so the counts are exact.
        try await channel.confirmSelect()

        #expect(try await channel.publishConfirmed(exchange: topic, routingKey: "order.created", body: "1") == .ack)
        #expect(try await channel.publishConfirmed(exchange: topic, routingKey: "invoice.created", body: "2") == .ack)
        #expect(try await channel.publishConfirmed(exchange: fanout, routingKey: "", body: "3") == .ack)
        let counted = try await channel.queueDeclare(server.queue, passive: true)
        #expect(counted.messageCount == 2 && counted.consumerCount == 0)

        try await channel.exchangeUnbind(destination: fanout, source: topic, routingKey: "order.*")
        #expect(try await channel.publishConfirmed(exchange: topic, routingKey: "order.created", body: "4") == .ack)
        try await channel.queueUnbind(server.queue, exchange: fanout)
        #expect(try await channel.publishConfirmed(exchange: fanout, routingKey: "", body: "5") == .ack)
        #expect(try await channel.queuePurge(server.queue) == 2)
        #expect(try await channel.queueDeclare(server.queue, passive: true).messageCount == 0)

        try await channel.exchangeDelete(fanout)
        try await channel.exchangeDelete(topic)
        #expect(try await channel.queueDelete(server.queue) == 0)
        try await connection.close()
    }

    @Test func callReturnsTheReplyTypedByTheMethod() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        // No annotation: the reply's type comes from the method's `Reply`.
        let declared = try await channel.call(QueueDeclare(queue: uniqueName(), exclusive: true))
        let purged = try await channel.call(QueuePurge(queue: declared.queue))
        #expect(declared.messageCount == 0 && purged.messageCount == 0)
        // A method sent with nowait gets no reply, which `call` refuses before sending anything.
        let refused = await #expect(throws: AMQPConnectionError.self) { _ = try await channel.call(QueuePurge(queue: declared.queue, noWait: true)) }
        #expect(refused?.code == .invalidMethod)
        let deleted = try await channel.call(QueueDelete(queue: declared.queue))
        #expect(deleted.messageCount == 0)
        try await connection.close()
    }

    @Test func typedQueueArgumentsReachTheBroker() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let dlq = try await channel.queueDeclare(exclusive: true)
        let name = uniqueName()
        let arguments = QueueArguments(type: .quorum, deadLetterExchange: "", deadLetterRoutingKey: dlq.queue, deliveryLimit: 1)
        try await channel.queueDeclare(name, durable: true, arguments: arguments)
        try channel.publish(routingKey: name, body: "poison")
        try await channel.qos(prefetchCount: 1)
        let consumer = try await channel.consume(queue: name)
        var iterator = consumer.makeAsyncIterator()
        // Delivery limit 1: the first requeue is allowed, the second attempt dead-letters.
        for _ in 0..<2 { try #require(try await iterator.next()).nack(requeue: true) }
        var deadLettered: AMQPMessage?
        try await eventually("the poison message dead-lettered") {
            deadLettered = try await channel.get(queue: dlq.queue, noAck: true)
            return deadLettered != nil
        }
        #expect(deadLettered?.body == "poison")
        try await consumer.cancel()
        try await channel.queueDelete(name)
        try await connection.close()
    }

    @Test func aRedeclarationWithOtherPropertiesIsPreconditionFailedAndClosesTheChannel() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue = try await channel.queueDeclare(uniqueName(), exclusive: true)
        do {
            try await channel.queueDeclare(queue.queue, exclusive: true, arguments: QueueArguments(maxLength: 5))
            Issue.record("a conflicting redeclaration succeeded")
        } catch {
            #expect(error.code == .channelClosed, "\(error)")
            #expect(error.channel == channel.number && error.replyCode == .preconditionFailed)
            #expect(error.message.contains("x-max-length"))
        }
        // Later calls on the closed channel fail with the same reason.
        await #expect(throws: AMQPConnectionError.self) {
            try await channel.queueDeclare(queue.queue, passive: true)
        }
        do {
            try await channel.queuePurge(queue.queue)
            Issue.record("purge on a closed channel succeeded")
        } catch {
            #expect(error.code == .channelClosed, "\(error)")
            #expect(error.replyCode == .preconditionFailed)
        }
        try await connection.close()
    }

    @Test func aPassiveDeclareOfAMissingExchangeIsNotFound() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        await #expect(throws: AMQPConnectionError.self) { try await channel.exchangeDeclare(uniqueName(), passive: true) }
        do {
            try await channel.exchangeDeclare("x", passive: true)
            Issue.record("a call on the closed channel succeeded")
        } catch {
            #expect(error.code == .channelClosed, "\(error)")
            #expect(error.replyCode == .notFound && error.classID == 40 && error.methodID == 10)
        }
        try await connection.close()
    }
}
