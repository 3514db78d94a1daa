import AMQP091
import Bytes
import TestSupport
import Testing

/// Round trips against the real RabbitMQ at `AMQP_URL` (default amqp://guest:guest@127.0.0.1:5672/).
@Suite(.serialized, .requires(.rabbitmq)) struct RabbitMQIntegrationTests {
    static let url = TestServer.rabbitmq.url()

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
        for try await delivery in consumer {
            received.append(delivery.body)
            try delivery.ack()
            if received.count == 2 { break }
        }
        #expect(received == [large, "third"])

        let cancelled: BasicCancelOk = try await channel.call(BasicCancel(consumerTag: consumer.tag))
        #expect(cancelled.consumerTag == consumer.tag)
        #expect(try await channel.get(queue: queue.queue) == nil)
        try await channel.close()
        try await connection.close()
    }

    @Test(.timeLimit(.minutes(1))) func concurrentClosesAllReturn() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
        // Each caller must be resumed once the handshake ends, not only the last one to ask.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { try await connection.close(timeout: .seconds(10)) } }
            try await group.waitForAll()
        }
        #expect(connection.closeReason == .closedByClient)
    }

    @Test func serverRefusalClosesTheChannelWithItsReplyCode() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
        let channel = try await connection.openChannel()
        do {
            let _: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueQueueName(), passive: true))
            Issue.record("passive declare of a missing queue succeeded")
        } catch {
            #expect(error.code == .channelClosed, "\(error)")
            #expect(error.channel == channel.number && error.replyCode == .notFound && error.classID == 50 && error.methodID == 10)
        }
        // The connection survives a channel error.
        let other = try await connection.openChannel()
        let _: QueueDeclareOk = try await other.call(QueueDeclare(queue: uniqueQueueName(), exclusive: true))
        try await connection.close()
    }

    @Test func unencodablePublishThrowsAndLeavesTheConnectionUsable() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
        let channel = try await connection.openChannel()
        // Frame header, class and method ids, ticket, empty exchange name: the routing key starts at 14.
        let refused = #expect(throws: AMQPConnectionError.self) {
            try channel.publish(routingKey: String(repeating: "k", count: 256), body: "x")
        }
        #expect(refused?.code == .invalidMethod)
        #expect(refused?.underlying as? AMQPError == AMQPError(.valueTooLong("routing-key", length: 256), at: 7 + 2 + 2 + 2 + 1))
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueQueueName(), exclusive: true))
        try channel.publish(routingKey: queue.queue, body: "after")
        #expect(try await channel.get(queue: queue.queue, noAck: true)?.body == "after")
        try await connection.close()
    }

    @Test func theServerDescribesItselfInItsProperties() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
        #expect(connection.serverProperties["product"] == "RabbitMQ")
        guard case .table(let capabilities)? = connection.serverProperties["capabilities"] else {
            Issue.record("no capabilities in \(connection.serverProperties)")
            return
        }
        #expect(capabilities["publisher_confirms"] == .bool(true))
        try await connection.close()
    }

    @Test func heartbeatsKeepAnIdleConnectionOpen() async throws {
        // With a 1 s heartbeat the broker drops a silent peer after about 2 s; stay idle for 4.
        let url = try AMQPURL(parsing: Self.url)
        let connection = try await AMQPConnection.connect(to: url, configuration: ConnectionConfiguration(url: url, heartbeat: 1), timeout: .seconds(10))
        let channel = try await connection.openChannel()
        try await letTimePass(.seconds(4), because: .quietWindow)
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(exclusive: true))
        #expect(queue.queue.hasPrefix("amq.gen-"))
        try await connection.close()
    }

    @Test func wrongPasswordIsAccessRefused() async throws {
        var url = try AMQPURL(parsing: Self.url)
        url.password = "definitely-not-the-password"
        do {
            _ = try await AMQPConnection.connect(to: url, timeout: .seconds(10))
            Issue.record("connected with a wrong password")
        } catch {
            #expect(error.code == .connectionClosed, "\(error)")
            #expect(error.replyCode == .accessRefused)
        }
    }

    @Test func confirmsAndReturnsArriveAsEvents() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), timeout: .seconds(10))
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: uniqueQueueName(), exclusive: true))
        let _: ConfirmSelectOk = try await channel.call(ConfirmSelect())
        try channel.publish(routingKey: queue.queue, body: "routed")
        try channel.publish(routingKey: uniqueQueueName(), body: "unroutable", mandatory: true)

        var events = connection.events.makeAsyncIterator()
        var confirmed: Set<UInt64> = []
        var returned: [BasicReturn] = []
        while confirmed.count < 2 || returned.isEmpty {
            switch await events.next() {
            case .confirm(_, let tag, let multiple, let ack)?:
                #expect(ack)
                confirmed.formUnion(multiple ? Set(1...tag) : [tag])
            case .returned(_, let message)?:
                if case .basicReturn(let basicReturn) = message.method { returned.append(basicReturn) }
                #expect(message.body == "unroutable")
            case let other:
                Issue.record("unexpected event \(String(describing: other))")
                return
            }
        }
        #expect(confirmed == [1, 2])
        #expect(returned.map(\.replyCode) == [ReplyCode.noRoute.rawValue])
        try await connection.close()
    }

    @Test func serverClosingTheConnectionFailsConsumersAndRequests() async throws {
        let name = uniqueQueueName()
        let configuration = ConnectionConfiguration(url: try AMQPURL(parsing: Self.url), clientProperties: ["connection_name": .longString(ByteBuffer(string: name))])
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url), configuration: configuration, timeout: .seconds(10))
        let channel = try await connection.openChannel()
        let queue: QueueDeclareOk = try await channel.call(QueueDeclare(queue: name, exclusive: true))
        let consumer = try await channel.consume(queue: queue.queue)

        let listing = try await rabbitmqctl(["list_connections", "pid", "client_properties"])
        let line = try #require(listing.split(separator: "\n").first { $0.contains(name) })
        let pid = String(try #require(line.split(separator: "\t").first))
        _ = try await rabbitmqctl(["close_connection", pid, "closed by test"])

        do {
            for try await delivery in consumer { Issue.record("unexpected delivery \(delivery.message)") }
            Issue.record("consumer ended without an error")
        } catch {
            #expect(error.code == .connectionClosed, "\(error)")
            #expect(error.replyCode == .connectionForced)
            #expect(error.message.contains("closed by test"))
        }
        await #expect(throws: AMQPConnectionError.self) { _ = try await connection.openChannel() }
    }
}
