import AMQP091
import Bytes
import Foundation
import Services
import Synchronization
import Testing
import TestSupport
import Tracing
import Transport

/// The consumer loop against the real broker, on queues of its own.
@Suite(.requires(.rabbitmq), .timeLimit(.minutes(1))) struct DeliveryLoopTests {
    let name = "delivery-loop-\(UUID().uuidString.prefix(8))"
    let logger = JSONLogger(service: "test", minimum: .error)

    /// Runs `body` with a client whose `run()` is a sibling task, cancelled once `body` returns.
    func withClient(_ body: @escaping @Sendable (AMQPClient, RecoveringChannel) async throws -> Void) async throws {
        let client = AMQPClient(endpoints: [try AMQPURL(parsing: TestServer.rabbitmq.url())])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            try await body(client, try await client.openChannel())
        }
    }

    /// Starts a loop on `queue`, runs it beside `body`, then stops it and waits for it to end.
    func consuming(
        _ queue: String, on client: AMQPClient, deadLetterExchange: String = PipelineTopology.deadLetterExchange,
        handler: @escaping DeliveryLoop.Handler, _ body: @Sendable () async throws -> Void
    ) async throws {
        let loop = try await DeliveryLoop.start(queue: queue, prefetch: 1, on: client, deadLetterExchange: deadLetterExchange,
                                                metrics: ServiceMetrics(service: "test"), logger: logger, loops: .shared, handler: handler)
        let running = Task { await loop.run() }
        do {
            try await body()
        } catch {
            await loop.stop()
            await running.value
            throw error
        }
        await loop.stop()
        await running.value
    }

    /// A retried message is given back only once its delay has passed, so its delivery count
    /// (which the queue's delivery limit bounds) grows at the pace of the delays.
    @Test func aRetriedMessageComesBackOnlyAfterItsDelay() async throws {
        try await withClient { client, channel in
            try await channel.queueDeclare(name, durable: true, arguments: QueueArguments(type: .quorum))
            try channel.publish(routingKey: name, body: ByteBuffer(string: "later"))
            let handled = Mutex<[ContinuousClock.Instant]>([])
            try await consuming(name, on: client, handler: { _ in
                handled.withLock { $0.append(.now) }
                return .retry(after: .milliseconds(700), reason: "test")
            }) {
                try await eventually("three rounds of the retried message") { handled.withLock { $0.count } >= 3 }
            }
            let times = handled.withLock { $0 }
            for (earlier, later) in zip(times, times.dropFirst()) {
                #expect(later - earlier >= .milliseconds(700), "handled again \(later - earlier) after a retry of 700 ms")
            }
            try await channel.queueDelete(name)
        }
    }

    /// Regression: a queue deleted and declared again at once (another service repairing its
    /// route, say) left the consumer attached to nothing on RabbitMQ 3.10, with no cancel: the
    /// loop waited forever. It notices within a check interval and consumes again.
    @Test func aConsumerLeftAttachedToNothingConsumesAgain() async throws {
        try await withClient { client, channel in
            let arguments = QueueArguments(type: .quorum)
            try await channel.queueDeclare(name, durable: true, arguments: arguments)
            let handled = Mutex<[String]>([])
            try await consuming(name, on: client, handler: { message in
                handled.withLock { $0.append(String(decoding: message.body, as: UTF8.self)) }
                return .ack
            }) {
                try await eventually("the loop's consumer on the queue") { try await channel.queueDeclare(name, passive: true).consumerCount == 1 }
                let other = AMQPClient(endpoints: [try AMQPURL(parsing: TestServer.rabbitmq.url())])
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await other.run() }
                    defer { group.cancelAll() }
                    let admin = try await other.openChannel()
                    try await admin.confirmSelect()
                    for round in 0..<3 {
                        try await admin.queueDelete(name)
                        try await admin.queueDeclare(name, durable: true, arguments: arguments)
                        // The first may go to the detached consumer and be lost on the way; the
                        // second then waits in the queue (a prefetch of one).
                        let bodies = ["round \(round) a", "round \(round) b"]
                        for body in bodies { _ = try await admin.publishConfirmed(routingKey: name, body: ByteBuffer(string: body)) }
                        try await eventually("round \(round) consumed within 5 s of the queue's return", within: .seconds(5), every: .milliseconds(20)) {
                            handled.withLock { Set(bodies).isSubset(of: $0) }
                        }
                    }
                }
            }
            try await channel.queueDelete(name)
        }
    }

    @Test func stoppingRequeuesAMessageWaitingOutItsRetryAtOnce() async throws {
        try await withClient { client, channel in
            try await channel.queueDeclare(name)
            try channel.publish(routingKey: name, body: ByteBuffer(string: "retry me"))
            let handled = Atomic<Int>(0)
            let started = ContinuousClock.now
            try await consuming(name, on: client, handler: { _ in
                handled.add(1, ordering: .relaxed)
                return .retry(after: .seconds(120), reason: "test")
            }) {
                try await eventually("the message to be handled") { handled.load(ordering: .relaxed) == 1 }
            }
            #expect(ContinuousClock.now - started < .seconds(20), "stop did not sit out the two-minute retry delay")
            let requeued = try await channel.get(queue: name)
            #expect(requeued.map { String(describing: $0.body) } == "retry me")
            try await channel.queueDelete(name)
        }
    }

    @Test func aHeldMessageIsHandledAgainWithoutBeingGivenBack() async throws {
        try await withClient { client, channel in
            try await channel.queueDeclare(name, durable: true, arguments: QueueArguments(type: .quorum))
            try await channel.confirmSelect()
            _ = try await channel.publishConfirmed(routingKey: name, body: ByteBuffer(string: "hold me"))
            let attempts = Mutex<[Int]>([])
            try await consuming(name, on: client, handler: { message in
                let rounds = attempts.withLock { attempts in
                    attempts.append(message.attempt)
                    return attempts.count
                }
                return rounds < 3 ? .hold(reason: "the broker blocks publishing") : .ack
            }) {
                try await eventually("three rounds of the held message") { attempts.withLock { $0.count } == 3 }
            }
            // Held, not requeued: the broker never redelivered it, so every round was attempt 1,
            // and the final ack removed it.
            #expect(attempts.withLock { $0 } == [1, 1, 1])
            #expect(try await channel.queueDeclare(name, passive: true).messageCount == 0)
            try await channel.queueDelete(name)
        }
    }

    @Test func aDeadLetteredMessageCarriesTheReasonAndTheOrderIDsInItsHeaders() async throws {
        try await withClient { client, channel in
            let deadLetters = "\(name)-dlx", dead = "\(name)-dead"
            try await channel.exchangeDeclare(deadLetters, type: "fanout", durable: false)
            try await channel.queueDeclare(dead)
            try await channel.queueBind(dead, exchange: deadLetters)
            try await channel.queueDeclare(name)
            try channel.publish(routingKey: name, body: ByteBuffer(string: "[{\"id\":\"a\"},{\"id\":\"b\"}]"), properties: BasicProperties(messageID: "m-1"))
            try await consuming(name, on: client, deadLetterExchange: deadLetters, handler: { _ in
                .deadLetter(reason: "malformed order: qty", orderIDs: ["a", "b"])
            }) {
                try await eventually("the dead letter") { try await channel.queueDeclare(dead, passive: true).messageCount > 0 }
            }
            let message = try #require(try await channel.get(queue: dead))
            let headers = message.properties.headers ?? FieldTable()
            #expect(headers[DeadLetterHeaders.reason] == .longString(ByteBuffer(string: "malformed order: qty")))
            #expect(headers[DeadLetterHeaders.orderIDs] == .longString(ByteBuffer(string: "a,b")))
            #expect(headers[DeadLetterHeaders.queue] == .longString(ByteBuffer(string: name)))
            #expect(message.properties.messageID == "m-1")
            #expect(try await channel.queueDeclare(name, passive: true).messageCount == 0, "the original was acknowledged")
            try await channel.queueDelete(name)
            try await channel.queueDelete(dead)
            try await channel.exchangeDelete(deadLetters)
        }
    }

    @Test func theTraceAMessageCarriesInItsHeadersReachesTheHandler() async throws {
        try await withClient { client, channel in
            try await channel.queueDeclare(name)
            let publisher = AMQPConfirmedPublisher(client: client, exchange: "", mandatory: true)
            try await publisher.open()
            let trace = MessageTrace(
                message: SpanContext(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
                documents: [
                    SpanContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "vendor=opaque"),
                    nil,
                    SpanContext(traceparent: "00-5bf92f3577b34da6a3ce929d0e0e4736-10f067aa0ba902b7-00"),
                ])
            let sent = try await publisher.publish(Array(#"[{"id":"a"},{"id":"b"},{"id":"c"}]"#.utf8), routingKey: name, messageID: "m-2", trace: trace,
                                                   timeout: .seconds(5))
            #expect(sent == .confirmed)
            let received = Mutex<InboundMessage?>(nil)
            try await consuming(name, on: client, handler: { message in
                received.withLock { $0 = message }
                return .ack
            }) {
                try await eventually("the traced message") { received.withLock { $0 != nil } }
            }
            let message = try #require(received.withLock { $0 })
            #expect(message.trace == trace)
            #expect(message.trace.context(ofDocument: 1) == trace.message, "a document without a context continues the message's")
            #expect(message.messageID == "m-2" && message.queue == name && message.routingKey == name && message.deliveryTag != nil)
            try await channel.queueDelete(name)
        }
    }
}
