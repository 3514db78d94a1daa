import AMQP091
import TestSupport
import Testing
import Transport

/// Connecting through an endpoint list, against the real RabbitMQ at `AMQP_URL`.
@Suite(.requires(.rabbitmq)) struct EndpointIntegrationTests {
    static let url = TestServer.rabbitmq.url()

    /// A loopback port nothing listens on (the discard port), so connects are refused at once.
    static let dead = "amqp://guest:guest@127.0.0.1:9/"

    @Test func aDeadEndpointIsSkippedForTheNextOne() async throws {
        let endpoints = [try AMQPURL(parsing: Self.dead), try AMQPURL(parsing: Self.url)]
        let (connection, index) = try await AMQPConnection.connect(to: endpoints, retry: RetryPolicy(maxAttempts: 3))
        #expect(index == 1)
        _ = try await connection.openChannel()
        try await connection.close()
    }

    @Test func noReachableEndpointFailsAfterTheAttemptsWithTheLastError() async throws {
        let endpoints = [try AMQPURL(parsing: Self.dead), try AMQPURL(parsing: "amqp://guest:guest@127.0.0.1:7/")]
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await AMQPConnection.connect(to: endpoints, retry: RetryPolicy(maxAttempts: 4, backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(5))))
            Issue.record("connected to a dead endpoint")
        } catch {
            #expect(error.code == .noEndpointReachable, "\(error)")
            #expect(error.attempts == 4)
            #expect(error.message.contains("127.0.0.1:7"))
            #expect((error.underlying as? AMQPConnectionError)?.code == .connectFailed)
        }
        // Two passes: one pause of 50 ms between them.
        #expect(clock.now - start >= .milliseconds(50))
    }

    @Test func aRefusedLoginIsNotRetried() async throws {
        var url = try AMQPURL(parsing: Self.url)
        url.password = "wrong"
        let clock = ContinuousClock()
        let start = clock.now
        do {
            // A retry would first pause 30 s: the pass over the one endpoint has ended.
            _ = try await AMQPConnection.connect(to: [url], retry: RetryPolicy(maxAttempts: 3, backoff: Backoff(initial: .seconds(30), maximum: .seconds(30))))
            Issue.record("connected with a wrong password")
        } catch {
            #expect(error.code == .connectionClosed, "\(error)")
            #expect(error.replyCode == .accessRefused, "\(error)")
        }
        #expect(clock.now - start < .seconds(10))
    }

    @Test func attemptsCutShortByTheOverallTimeoutAreCountedAsMade() async throws {
        let endpoints = [try AMQPURL(parsing: Self.dead)]
        // Refused at once, then pauses of 200 and 400 ms: the 500 ms run out after a few attempts.
        let retry = RetryPolicy(maxAttempts: 100, backoff: Backoff(initial: .milliseconds(200), maximum: .seconds(5)), overallTimeout: .milliseconds(500))
        do {
            _ = try await AMQPConnection.connect(to: endpoints, retry: retry)
            Issue.record("connected to a dead endpoint")
        } catch {
            #expect(error.code == .noEndpointReachable, "\(error)")
            #expect((1...10).contains(error.attempts ?? 0), "reported \(error.attempts ?? 0) attempts")
        }
    }

    @Test func aClientOnAHealthyBrokerRecordsAndUsesItsTopology() async throws {
        let client = try await AMQPClient.connect(to: [try AMQPURL(parsing: Self.url)])
        var events = client.events.makeAsyncIterator()
        #expect(await events.next() == .connected(endpoint: 0))
        let channel = try await client.openChannel()
        let queue = try await channel.queueDeclare(exclusive: true)
        try await channel.confirmSelect(window: 8)
        #expect(try await channel.publishConfirmed(routingKey: queue.queue, body: "hello") == .ack)
        let consumer = try await channel.consume(queue: queue.queue)
        var iterator = consumer.makeAsyncIterator()
        let delivery = try #require(try await iterator.next())
        #expect(delivery.body == "hello")
        try delivery.ack()
        try await consumer.cancel()
        #expect(try await iterator.next() == nil)
        await client.close()
        let refused = await #expect(throws: AMQPConnectionError.self) { _ = try await client.openChannel() }
        #expect(refused?.code == .clientClosed)
    }
}
