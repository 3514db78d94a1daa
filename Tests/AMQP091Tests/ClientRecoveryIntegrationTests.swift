import AMQP091
import Bytes
import Synchronization
import TestSupport
import Testing
import Transport

/// `AMQPClient` recovering from what the broker does to its topology and channels, short of a
/// lost connection, against the real RabbitMQ at `AMQP_URL`. Each test deletes only exchanges
/// and queues of its own.
@Suite(.requires(.rabbitmq), .timeLimit(.minutes(1))) struct ClientRecoveryIntegrationTests {
    static let url = TestServer.rabbitmq.url()

    func uniqueName() -> String { "amqp091-client-\(UInt64.random(in: 0...UInt64.max))" }

    /// Runs `body` with a client whose `run()` is a sibling task, cancelled once `body` returns.
    func withClient(_ body: @escaping @Sendable (AMQPClient) async throws -> Void) async throws {
        let client = AMQPClient(
            endpoints: [try AMQPURL(parsing: Self.url)], retry: .forever(backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(1))))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            try await body(client)
        }
    }

    /// Runs `body` on a channel of another connection, as an operator or another application would.
    func fromOutside(_ body: (AMQPChannel) async throws -> Void) async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url))
        try await body(try await connection.openChannel())
        try await connection.close()
    }

    /// Deletes `queue` and `exchange` from another connection.
    func deleteFromOutside(queue: String? = nil, exchange: String? = nil) async throws {
        try await fromOutside { channel in
            if let queue { _ = try await channel.call(QueueDelete(queue: queue)) }
            if let exchange { _ = try await channel.call(ExchangeDelete(exchange: exchange)) }
        }
    }

    /// An exchange with a queue bound to it by routing key "k", declared through `channel`.
    func route(on channel: RecoveringChannel) async throws -> (exchange: String, queue: String) {
        let exchange = uniqueName(), queue = uniqueName()
        try await channel.exchangeDeclare(exchange, type: "direct", durable: false)
        try await channel.queueDeclare(queue)
        try await channel.queueBind(queue, exchange: exchange, routingKey: "k")
        return (exchange, queue)
    }

    @Test func aQueueDeletedUnderAConsumerIsDeclaredAgainAndConsumedWithinFiveSeconds() async throws {
        try await withClient { client in
            let events = client.events
            let channel = try await client.openChannel()
            let (exchange, queue) = try await route(on: channel)
            try await channel.confirmSelect()
            let consumer = try await channel.consume(queue: queue)
            #expect(consumer.isActive)

            try await deleteFromOutside(queue: queue)
            let cancelled = try await firstEvent(in: events, within: .seconds(5)) { if case .consumerCancelled = $0 { true } else { false } }
            #expect(cancelled == .consumerCancelled(queue: queue, consumerTag: consumer.tag))
            let recovered = try await firstEvent(in: events, within: .seconds(5)) { if case .consumerRecovered = $0 { true } else { false } }
            #expect(recovered == .consumerRecovered(queue: queue, consumerTag: consumer.tag))
            #expect(consumer.isActive)

            // The binding came back with the queue: a message published afterwards is consumed.
            #expect(try await channel.publishConfirmed(exchange: exchange, routingKey: "k", body: "after", mandatory: true) == .ack)
            var deliveries = consumer.makeAsyncIterator()
            let delivery = try #require(try await deliveries.next())
            #expect(delivery.body == "after")
            try delivery.ack()
            try await deleteFromOutside(queue: queue, exchange: exchange)
        }
    }

    /// A client consumes a quorum queue that is deleted; another client, publishing to it, finds
    /// no route and declares it again. Declared within tens of milliseconds of the deletion,
    /// RabbitMQ 3.10 leaves the consumer without a cancel and without deliveries (the new queue's
    /// messages are checked out to it for ever): recovery waits `redeclareDelay` first.
    @Test func aQueueDeclaredAgainByAnotherClientReachesTheConsumerOfTheDeletedOne() async throws {
        try await withClient { consuming in
            try await withClient { publishing in
                let queue = uniqueName()
                let consumerChannel = try await consuming.openChannel()
                try await consumerChannel.queueDeclare(queue, durable: true, arguments: QueueArguments(type: .quorum))
                let consumer = try await consumerChannel.consume(queue: queue)
                let channel = try await publishing.openChannel()
                try await channel.queueDeclare(queue, durable: true, arguments: QueueArguments(type: .quorum))
                try await channel.confirmSelect()

                try await deleteFromOutside(queue: queue)
                var first = try await channel.publishConfirmed(routingKey: queue, body: "unroutable", mandatory: true)
                // A publish that reaches the queue as it is being deleted is nacked, not returned,
                // and a nack repairs nothing: the next one finds no route.
                if first == .nack { first = try await channel.publishConfirmed(routingKey: queue, body: "unroutable", mandatory: true) }
                guard case .returned = first else {
                    Issue.record("the queue was gone, so the publish should have come back: \(first)")
                    return
                }
                // The queue declared again may nack a publish while its members start (seen on a
                // busy machine); a nack is a refusal, so the publish is simply sent again.
                var after = try await channel.publishConfirmed(routingKey: queue, body: "after", mandatory: true)
                for _ in 0..<20 where after == .nack {
                    try await letTimePass(.milliseconds(100), because: .retryDelay)
                    after = try await channel.publishConfirmed(routingKey: queue, body: "after", mandatory: true)
                }
                #expect(after == .ack, "the route was declared again: \(after)")
                let received = Received()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await delivery in consumer {
                            try delivery.ack()
                            received.bodies.withLock { $0.append(String(describing: delivery.body)) }
                        }
                    }
                    try await eventually("the message to reach the consumer", within: .seconds(5)) { !received.bodies.withLock(\.isEmpty) }
                    group.cancelAll()
                }
                #expect(Set(received.bodies.withLock { $0 }) == ["after"], "the message reached the consumer")
                #expect(consumer.isActive)
                try await deleteFromOutside(queue: queue)
            }
        }
    }

    @Test func anUnroutableMandatoryPublishDeclaresItsRouteAgainSoTheNextOneRoutes() async throws {
        try await withClient { client in
            let channel = try await client.openChannel()
            let (exchange, queue) = try await route(on: channel)
            try await channel.confirmSelect()
            try await deleteFromOutside(queue: queue)

            let first = try await channel.publishConfirmed(exchange: exchange, routingKey: "k", body: "unroutable", mandatory: true)
            guard case .returned(let code, _) = first else {
                Issue.record("expected a return, got \(first)")
                return
            }
            #expect(code == .noRoute)
            #expect(client.unroutableExchanges.isEmpty, "repaired before the publish returned")
            #expect(try await channel.publishConfirmed(exchange: exchange, routingKey: "k", body: "routed", mandatory: true) == .ack)
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 1)
            try await deleteFromOutside(queue: queue, exchange: exchange)
        }
    }

    @Test func anUnconfirmedUnroutablePublishRepairsTheRouteInTheBackground() async throws {
        try await withClient { client in
            let events = client.events
            let channel = try await client.openChannel()
            let (exchange, queue) = try await route(on: channel)
            try await deleteFromOutside(queue: queue)

            try channel.publish(exchange: exchange, routingKey: "k", body: "unroutable", mandatory: true)
            let returned = try await firstEvent(in: events, within: .seconds(5)) { if case .returned = $0 { true } else { false } }
            #expect(returned == .returned(exchange: exchange, routingKey: "k", replyCode: .noRoute, replyText: "NO_ROUTE"))
            #expect(try await firstEvent(in: events, within: .seconds(5)) { if case .routeRepaired = $0 { true } else { false } } == .routeRepaired(exchange: exchange))
            #expect(client.unroutableExchanges.isEmpty)
            try await channel.confirmSelect()
            #expect(try await channel.publishConfirmed(exchange: exchange, routingKey: "k", body: "routed", mandatory: true) == .ack)
            try await deleteFromOutside(queue: queue, exchange: exchange)
        }
    }

    @Test func aPublishToADeletedExchangeReopensTheChannelAndDeclaresTheExchangeAgain() async throws {
        try await withClient { client in
            let events = client.events
            let channel = try await client.openChannel()
            let (exchange, queue) = try await route(on: channel)
            try await channel.confirmSelect()
            try await deleteFromOutside(exchange: exchange)

            let refused = await #expect(throws: AMQPConnectionError.self) {
                _ = try await channel.publishConfirmed(exchange: exchange, routingKey: "k", body: "lost", mandatory: true)
            }
            #expect(refused?.code == .channelClosed && refused?.replyCode == .notFound)
            _ = try await firstEvent(in: events, within: .seconds(5)) { if case .channelClosed = $0 { true } else { false } }
            // The channel is open again in confirm mode, and the exchange with its binding is back.
            #expect(try await channel.publishConfirmed(exchange: exchange, routingKey: "k", body: "routed", mandatory: true) == .ack)
            #expect(try await channel.queueDeclare(queue, passive: true).messageCount == 1)
            try await deleteFromOutside(queue: queue, exchange: exchange)
        }
    }

    @Test func runEndsWhenItsTaskIsCancelledAndSoDoConsumersAndCalls() async throws {
        let client = AMQPClient(endpoints: [try AMQPURL(parsing: Self.url)])
        let running = Task { try await client.run() }
        let channel = try await client.openChannel()
        let queue = try await channel.queueDeclare(exclusive: true)
        let consumer = try await channel.consume(queue: queue.queue)
        running.cancel()
        try await running.value
        var deliveries = consumer.makeAsyncIterator()
        #expect(try await deliveries.next() == nil, "the sequence ends normally")
        let refused = await #expect(throws: AMQPConnectionError.self) { _ = try await client.openChannel() }
        #expect(refused?.code == .clientClosed)
        #expect(!client.isConnected)
    }

    @Test func callsMadeBeforeTheFirstConnectionWaitForIt() async throws {
        let client = AMQPClient(endpoints: [try AMQPURL(parsing: Self.url)])
        async let channel = client.openChannel()
        let running = Task { try await client.run() }
        let queue = try await channel.queueDeclare(exclusive: true)
        #expect(queue.queue.hasPrefix("amq.gen-"))
        running.cancel()
        try await running.value
    }
}

/// Message bodies collected by several consumers at once.
private final class Received: Sendable {
    let bodies = Mutex<[String]>([])
}
