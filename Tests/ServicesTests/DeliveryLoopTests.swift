import AMQP091
import Bytes
import Foundation
import Services
import Synchronization
import Testing
import TestSupport

/// The consumer loop against the real broker.
@Suite(.requires(.rabbitmq)) struct DeliveryLoopTests {
    @Test func stoppingRequeuesAMessageWaitingOutItsRetryAtOnce() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: TestServer.rabbitmq.url()))
        let channel = try await connection.openChannel()
        let queue = "delivery-loop-\(UUID().uuidString.prefix(8))"
        let _: QueueDeclareOk = try await channel.call(QueueDeclare(queue: queue, autoDelete: false))
        try channel.publish(routingKey: queue, body: ByteBuffer(string: "retry me"))
        let handled = Atomic<Int>(0)
        let loop = try await DeliveryLoop.start(queue: queue, prefetch: 1, on: connection, metrics: ServiceMetrics(service: "test"),
                                                logger: JSONLogger(service: "test", minimum: .error)) { _, _ in
            handled.add(1, ordering: .relaxed)
            return .retry(after: .seconds(120), reason: "test")
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while handled.load(ordering: .relaxed) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(handled.load(ordering: .relaxed) == 1)
        let stopping = ContinuousClock.now
        await loop.stop()
        #expect(ContinuousClock.now - stopping < .seconds(10), "stop did not sit out the two-minute retry delay")
        let requeued = try await channel.get(queue: queue, noAck: true)
        #expect(requeued.map { String(describing: $0.body) } == "retry me")
        let _: QueueDeleteOk = try await channel.call(QueueDelete(queue: queue))
        try await connection.close()
    }
}
