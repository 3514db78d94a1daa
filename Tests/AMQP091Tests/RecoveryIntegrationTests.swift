@testable import AMQP091
import Bytes
import Foundation
import TestSupport
import Testing
import Transport

/// Blocking, stopping and failing over brokers: only on the two disposable nodes that
/// `scripts/interop/amqp-recovery.sh` starts (`AMQP_RECOVERY_TESTS=1`, `AMQP_URLS`,
/// `RABBITMQ_NODENAME`, `RABBITMQ2_NODENAME`). Each test leaves both nodes running.
@Suite(.serialized, .timeLimit(.minutes(1)), .enabled(if: DisposableNodes.enabled && DisposableNodes.urls.count == 2, "needs scripts/interop/amqp-recovery.sh"))
struct RecoveryIntegrationTests {
    let endpoints: [AMQPURL]

    init() throws {
        endpoints = try DisposableNodes.urls.map { try AMQPURL(parsing: $0) }
    }

    func uniqueName() -> String { "amqp091-recovery-\(UInt64.random(in: 0...UInt64.max))" }

    @Test func aBlockedConnectionHoldsPublishersUntilUnblocked() async throws {
        let node = DisposableNodes.nodes[0]
        let connection = try await AMQPConnection.connect(to: endpoints[0])
        let channel = try await connection.openChannel()
        let queue = try await channel.queueDeclare(exclusive: true)
        try await channel.confirmSelect()
        _ = try await rabbitmqctl(node: node, ["set_vm_memory_high_watermark", "0.0000001"])
        do {
            // The broker blocks a connection when it next publishes.
            try channel.publish(routingKey: queue.queue, body: "trigger")
            _ = try await firstEvent(in: connection.events) { if case .blocked = $0 { true } else { false } }
            #expect(connection.isBlocked)
            await #expect(throws: AMQPConnectionError.self) { try await connection.waitUntilUnblocked(timeout: .milliseconds(200)) }
            do {
                _ = try await channel.publishConfirmed(routingKey: queue.queue, body: "held", timeout: .milliseconds(300))
                Issue.record("a publish completed while blocked")
            } catch {
                #expect(error.code == .blockedTimedOut, "\(error)")
                #expect(error.message.contains("memory"))
            }
            let waiting = Task { try await channel.publishConfirmed(routingKey: queue.queue, body: "later", timeout: .seconds(30)) }
            try await eventually("the publish to be held while blocked") { connection.publishWaiters == (held: 1, written: 0) }
            _ = try await rabbitmqctl(node: node, ["set_vm_memory_high_watermark", "0.4"])
            try await connection.waitUntilUnblocked(timeout: .seconds(30))
            #expect(!connection.isBlocked)
            #expect(try await waiting.value == .ack)
        } catch {
            _ = try? await rabbitmqctl(node: node, ["set_vm_memory_high_watermark", "0.4"])
            throw error
        }
        try await connection.close()
    }

    @Test func aBlockedBrokerIsVisibleOnTheClientUntilItUnblocks() async throws {
        let node = DisposableNodes.nodes[0]
        let client = try await AMQPClient.connect(to: [endpoints[0]])
        let events = client.events
        let channel = try await client.openChannel()
        let queue = try await channel.queueDeclare(exclusive: true)
        _ = try await rabbitmqctl(node: node, ["set_vm_memory_high_watermark", "0.0000001"])
        do {
            try channel.publish(routingKey: queue.queue, body: "trigger")
            let blocked = try await firstEvent(in: events) { if case .blocked = $0 { true } else { false } }
            guard case .blocked(let reason) = blocked else { throw RabbitMQControlError(description: "no blocked event") }
            #expect(reason.contains("memory"))
            #expect(client.isBlocked && client.blockedReason == reason)
            _ = try await rabbitmqctl(node: node, ["set_vm_memory_high_watermark", "0.4"])
            _ = try await firstEvent(in: events) { $0 == .unblocked }
            #expect(!client.isBlocked && client.blockedReason == nil)
        } catch {
            _ = try? await rabbitmqctl(node: node, ["set_vm_memory_high_watermark", "0.4"])
            throw error
        }
        await client.close()
    }

    @Test func stoppingTheBrokerMidPublishAndMidConsumeFailsOverAndRecovers() async throws {
        let client = try await AMQPClient.connect(to: endpoints, retry: RetryPolicy(maxAttempts: 20, backoff: Backoff(initial: .milliseconds(200), maximum: .seconds(5))))
        let events = client.events
        let channel = try await client.openChannel()
        let exchange = uniqueName()
        try await channel.exchangeDeclare(exchange, type: "fanout", durable: false, autoDelete: false)
        let queue = try await channel.queueDeclare(exclusive: true)
        try await channel.queueBind(queue.queue, exchange: exchange)
        try await channel.qos(prefetchCount: 50)
        try await channel.confirmSelect(window: 64)
        let consumer = try await channel.consume(queue: queue.queue)
        var deliveries = consumer.makeAsyncIterator()

        #expect(try await channel.publishConfirmed(exchange: exchange, routingKey: "", body: "before") == .ack)
        let before = try #require(try await deliveries.next())
        #expect(before.body == "before")

        // Publish continuously, several at a time, while node 1 stops: every publish is accounted
        // for, acked or failed with the connection's typed error; none may time out.
        let acks = EventCount()
        let publishers = (0..<8).map { _ in Task { await Self.publishUntilCancelled(on: channel, exchange: exchange, acks: acks) } }
        try await acks.reached(16)
        _ = try await rabbitmqctl(node: DisposableNodes.nodes[0], ["stop_app"])
        do {
            _ = try await firstEvent(in: events) { if case .connectionLost = $0 { true } else { false } }
            let recovered = try await firstEvent(in: events) { if case .recovered = $0 { true } else { false } }
            #expect(recovered == .recovered(endpoint: 1))
            #expect(client.isConnected)

            // A delivery from before the loss cannot be settled on the new channel.
            #expect(throws: AMQPConnectionError.self) { try before.ack() }
            do {
                try before.ack()
            } catch {
                #expect(error.code == .staleDelivery && error.deliveryTag == before.deliveryTag)
            }

            try await acks.reached(acks.value + 16)
            var total = PublishCounts()
            for publisher in publishers {
                publisher.cancel()
                total.add(await publisher.value)
            }
            #expect(total.started == total.acked + total.lost, "\(total)")
            #expect(total.timedOut == 0 && total.other.isEmpty, "\(total)")
            #expect(total.acked > 0, "\(total)")

            // The server-named queue was declared again under a new name and bound again; the
            // consumer's sequence continues with messages published after recovery.
            #expect(try await channel.publishConfirmed(exchange: exchange, routingKey: "", body: "after") == .ack)
            #expect(try await channel.publishConfirmed(routingKey: queue.queue, body: "direct") == .ack)
            var bodies: [ByteBuffer] = []
            while bodies.last != "direct" {
                let delivery = try #require(try await deliveries.next())
                // "during" messages that arrived before the loss are stale; the others must be
                // acked or prefetch would stop the broker delivering.
                guard delivery.body != "during" else {
                    try? delivery.ack()
                    continue
                }
                try delivery.ack()
                bodies.append(delivery.body)
            }
            #expect(bodies == ["after", "direct"])
        } catch {
            _ = try? await rabbitmqctl(node: DisposableNodes.nodes[0], ["start_app"])
            throw error
        }
        _ = try await rabbitmqctl(node: DisposableNodes.nodes[0], ["start_app"])
        await client.close()
        #expect(try await deliveries.next() == nil)
    }

    /// What a publisher loop saw: every publish it started, by outcome.
    struct PublishCounts: CustomStringConvertible {
        var started = 0
        var acked = 0
        /// Failed with the connection's error: closed by the stopping broker, or lost.
        var lost = 0
        var timedOut = 0
        var other: [String] = []

        mutating func add(_ counts: PublishCounts) {
            started += counts.started
            acked += counts.acked
            lost += counts.lost
            timedOut += counts.timedOut
            other += counts.other
        }

        var description: String { "started \(started), acked \(acked), lost \(lost), timed out \(timedOut), other \(other)" }
    }

    /// Publishes until cancelled; counts each ack in `acks` too, as it comes.
    static func publishUntilCancelled(on channel: RecoveringChannel, exchange: String, acks: EventCount) async -> PublishCounts {
        var counts = PublishCounts()
        while !Task.isCancelled {
            counts.started += 1
            do {
                let outcome = try await channel.publishConfirmed(exchange: exchange, routingKey: "", body: "during", timeout: .seconds(20))
                if outcome == .ack {
                    counts.acked += 1
                    acks.record()
                } else {
                    counts.other.append("\(outcome)")
                }
            } catch let error where error.replyCode == .connectionForced || error.code == .connectionLost {
                counts.lost += 1
            } catch AMQPConnectionError.Code.timedOut {
                counts.timedOut += 1
            } catch AMQPConnectionError.Code.cancelled {
                counts.started -= 1
                break
            } catch {
                counts.other.append("\(error)")
                // Unexpected failures may come at once, over and over: leave the pool's threads
                // to the recovery meanwhile.
                try? await letTimePass(.milliseconds(20), because: .retryDelay)
            }
        }
        return counts
    }

    @Test func recoveryGivesUpWhenNoEndpointComesBackAndSaysSo() async throws {
        let node = DisposableNodes.nodes[0]
        let client = try await AMQPClient.connect(
            to: [endpoints[0]], retry: RetryPolicy(maxAttempts: 3, backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(5)), attemptTimeout: .seconds(2)))
        let events = client.events
        let channel = try await client.openChannel()
        let queue = try await channel.queueDeclare(exclusive: true)
        let consumer = try await channel.consume(queue: queue.queue)
        _ = try await rabbitmqctl(node: node, ["stop_app"])
        do {
            let failed = try await firstEvent(in: events) { if case .recoveryFailed = $0 { true } else { false } }
            guard case .recoveryFailed(let error) = failed, error.code == .noEndpointReachable else {
                Issue.record("unexpected \(failed)")
                throw RabbitMQControlError(description: "recovery did not fail as expected")
            }
            #expect(error.attempts == 3)
            #expect(!client.isConnected)
            await #expect(throws: AMQPConnectionError.self) { for try await _ in consumer {} }
            await #expect(throws: AMQPConnectionError.self) { _ = try await channel.publishConfirmed(routingKey: "x", body: "y") }
            await #expect(throws: AMQPConnectionError.self) { _ = try await client.openChannel() }
        } catch {
            _ = try? await rabbitmqctl(node: node, ["start_app"])
            throw error
        }
        _ = try await rabbitmqctl(node: node, ["start_app"])
    }
}

/// Kills node 2 outright (SIGKILL): run on its own by `scripts/interop/amqp-recovery.sh`, which
/// starts the node again afterwards.
@Suite(.timeLimit(.minutes(1)), .enabled(if: DisposableNodes.enabled && DisposableNodes.urls.count == 2, "needs scripts/interop/amqp-recovery.sh"))
struct BrokerKillIntegrationTests {
    let endpoints: [AMQPURL]

    init() throws {
        endpoints = try DisposableNodes.urls.map { try AMQPURL(parsing: $0) }
    }

    @Test func killingTheBrokerMidConsumeFailsOverToTheOtherNode() async throws {
        // Node 2 first, so the node killed is node 2, and recovery moves to node 1.
        let client = try await AMQPClient.connect(to: [endpoints[1], endpoints[0]], retry: RetryPolicy(maxAttempts: 20, backoff: Backoff(initial: .milliseconds(200), maximum: .seconds(5))))
        let events = client.events
        let channel = try await client.openChannel()
        let queue = try await channel.queueDeclare(exclusive: true)
        try await channel.confirmSelect()
        let consumer = try await channel.consume(queue: queue.queue, noAck: true)
        var deliveries = consumer.makeAsyncIterator()
        #expect(try await channel.publishConfirmed(routingKey: queue.queue, body: "before") == .ack)
        #expect(try await deliveries.next()?.body == "before")

        // Node 1's runtime sends the signals: both run as the broker's user. Node 2 is stopped
        // first (SIGSTOP), so the publishes below are surely in flight, sent and unconfirmed,
        // when it dies.
        let pid = try await rabbitmqctl(node: DisposableNodes.nodes[1], ["eval", "os:getpid()."])
            .trimmingCharacters(in: CharacterSet(charactersIn: "\"\n "))
        _ = try await rabbitmqctl(node: DisposableNodes.nodes[0], ["eval", "os:cmd(\"kill -STOP \(pid)\")."])
        let inFlight = (0..<20).map { index in
            Task { () -> String in
                do {
                    return "\(try await channel.publishConfirmed(routingKey: queue.queue, body: ByteBuffer(string: "in flight \(index)"), timeout: .seconds(20)))"
                } catch AMQPConnectionError.Code.connectionLost {
                    return "connectionLost"
                } catch {
                    return "\(error)"
                }
            }
        }
        try await eventually("the publishes to be written to the stopped node") { client.connection?.publishWaiters.written == inFlight.count }
        _ = try await rabbitmqctl(node: DisposableNodes.nodes[0], ["eval", "os:cmd(\"kill -KILL \(pid)\")."])
        let lost = try await firstEvent(in: events) { if case .connectionLost = $0 { true } else { false } }
        guard case .connectionLost(.connectionLost) = lost else {
            throw RabbitMQControlError(description: "a killed broker should read as a lost socket, got \(lost)")
        }
        // Each fails, none is dropped silently or left to time out.
        for publish in inFlight {
            let outcome = await publish.value
            #expect(outcome == "connectionLost", "an in-flight publish ended with \(outcome)")
        }
        #expect(try await firstEvent(in: events) { if case .recovered = $0 { true } else { false } } == .recovered(endpoint: 1))
        #expect(try await channel.publishConfirmed(routingKey: queue.queue, body: "after") == .ack)
        #expect(try await deliveries.next()?.body == "after")
        await client.close()
    }
}
