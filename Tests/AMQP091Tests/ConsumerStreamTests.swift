@testable import AMQP091
import Bytes
import Testing
import TestSupport

/// The order a consumer sees: what the broker sent before ending the consumer comes first.
/// Scripted with `FakeBroker`, which writes the whole burst at once.
@Suite(.timeLimit(.minutes(1))) struct ConsumerStreamTests {
    /// Plays a broker that accepts one consumer and then sends `burst` (given the channel and
    /// the consumer tag) in one write, so one read brings all of it.
    func serveOneConsumer(_ broker: FakeBroker, burst: @escaping @Sendable (UInt16, String) throws -> ByteBuffer) -> Task<Void, any Error> {
        broker.serve { session in
            try await session.handshake()
            let channel = try await session.openChannel()
            let request = try await session.acceptConsume(on: channel)
            try await session.connection.write(try burst(channel, request.consumerTag))
            _ = try? await session.nextFrame(timeout: .seconds(10))
        }
    }

    /// Runs `body` with a recovering client's consumer of queue "q" on `broker`, the client's
    /// `run()` going meanwhile. Recovery waits a minute between attempts: the tests see what
    /// comes without it.
    func withRecoveringConsumer(of broker: FakeBroker, _ body: (RecoveringConsumer) async throws -> Void) async throws {
        let client = AMQPClient(endpoints: [try broker.url], redeclareDelay: .seconds(60))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            let channel = try await client.openChannel()
            try await body(try await channel.consume(queue: "q", noAck: true))
        }
    }

    static func deliver(_ body: String, tag: UInt64, consumer: String, channel: UInt16, into burst: inout ByteBuffer) throws {
        let deliver = BasicDeliver(consumerTag: consumer, deliveryTag: tag, routingKey: "q")
        try FrameEncoder().encodeContent(channel: channel, method: .basicDeliver(deliver), properties: BasicProperties(), body: ByteBuffer(string: body), into: &burst)
    }

    static func cancel(consumer: String, channel: UInt16, into burst: inout ByteBuffer) throws {
        try FrameEncoder().encode(.method(channel: channel, .basicCancel(BasicCancel(consumerTag: consumer, noWait: true))), into: &burst)
    }

    @Test func deliveriesSentBeforeAServerCancelAreAllReadBeforeItsError() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = serveOneConsumer(broker) { channel, consumer in
            var burst = ByteBuffer()
            for index in 1...3 { try Self.deliver("\(index)", tag: UInt64(index), consumer: consumer, channel: channel, into: &burst) }
            try Self.cancel(consumer: consumer, channel: channel, into: &burst)
            return burst
        }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let channel = try await connection.openChannel()
        let consumer = try await channel.consume(queue: "q", noAck: true)
        var bodies: [ByteBuffer] = []
        do {
            for try await delivery in consumer { bodies.append(delivery.body) }
            Issue.record("the sequence ended without the cancel's error")
        } catch {
            #expect(error == .consumerCancelled(channel: channel.number, consumerTag: consumer.tag))
        }
        #expect(bodies == ["1", "2", "3"])
        try await connection.close(timeout: .seconds(1))
        _ = await script.result
    }

    /// Regression: RabbitMQ sends a deleted quorum queue's deliveries and its consumers' cancel
    /// from different processes, so a delivery can come just after the cancel. It was dropped
    /// (its consumer no longer registered), and with the queue gone its message was lost; a
    /// recovering consumer now gets it, and can settle it on the channel, still open.
    @Test func aDeliveryJustAfterAServerCancelReachesTheRecoveringConsumer() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = serveOneConsumer(broker) { channel, consumer in
            var burst = ByteBuffer()
            try Self.cancel(consumer: consumer, channel: channel, into: &burst)
            try Self.deliver("late", tag: 1, consumer: consumer, channel: channel, into: &burst)
            return burst
        }
        defer { script.cancel() }
        // No recovery step within the test: the late delivery must come by itself.
        try await withRecoveringConsumer(of: broker) { consumer throws in
            let first = try await within(.seconds(3), "the late delivery") { () -> String? in
                for try await delivery in consumer { return String(describing: delivery.body) }
                return nil
            }
            #expect(first == "late")
        }
    }

    /// Regression: a consumer cancelled while its broker was unreachable kept its sequence open
    /// when the cancel timed out, so a service draining on SIGTERM after losing its broker waited
    /// for the end of its deliveries for ever. The cancel still fails, saying why, but the
    /// sequence ends: the broker gives back what the channel held once the connection is gone.
    @Test func aCancelThatCannotReachTheBrokerStillEndsTheSequence() async throws {
        let broker = try await FakeBroker()
        let script = broker.serve { session in
            try await session.handshake()
            let channel = try await session.openChannel()
            _ = try await session.acceptConsume(on: channel)
        }
        try await withRecoveringConsumer(of: broker) { consumer throws in
            let reader = Task { () -> Int in
                var count = 0
                for try await _ in consumer { count += 1 }
                return count
            }
            defer { reader.cancel() }
            // The broker hangs up and is gone for good: every reconnect is refused.
            broker.close()
            _ = await script.result
            await #expect(throws: AMQPConnectionError.self) { try await consumer.cancel(timeout: .milliseconds(300)) }
            // Bounded, so that a regression fails here rather than at the suite's time limit.
            #expect(try await within(.seconds(4), "the sequence to end without its task cancelled") { try await reader.value } == 0)
        }
    }

    @Test func cancellingTheIteratingTaskEndsTheSequence() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            try await session.handshake()
            let channel = try await session.openChannel()
            _ = try await session.acceptConsume(on: channel)
            _ = try? await session.nextFrame(timeout: .seconds(10))
        }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let channel = try await connection.openChannel()
        let consumer = try await channel.consume(queue: "q", noAck: true)
        let reader = Task { () -> Int in
            var count = 0
            for try await _ in consumer { count += 1 }
            return count
        }
        try await eventually("the reader to wait for a delivery") { consumer.deliveries.isWaiting }
        reader.cancel()
        #expect(try await reader.value == 0)
        try await connection.close(timeout: .seconds(1))
        _ = await script.result
    }
}
