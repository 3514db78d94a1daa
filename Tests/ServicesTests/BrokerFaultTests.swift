import AMQP091
import Bytes
import Foundation
import RESP
@testable import Services
import Testing
import TestSupport

/// The pipeline when the broker deletes its queues, loses its bindings, refuses its declarations
/// or blocks publishing. These change what every user of a broker shares, so they run only on
/// the disposable node that `scripts/interop/amqp-recovery.sh` starts (with Redis at `REDIS_URL`),
/// each test on a pipeline of its own.
@Suite(.serialized, .timeLimit(.minutes(2)), .requires(.redis),
       .enabled(if: DisposableNodes.enabled && !DisposableNodes.urls.isEmpty, "needs scripts/interop/amqp-recovery.sh"))
struct BrokerFaultTests {
    let run = UUID().uuidString.prefix(8).lowercased()
    let node = DisposableNodes.nodes[0]
    let brokerURL = DisposableNodes.urls.first ?? ""
    let redis: any RedisClientProtocol
    let sender = CountingSender()

    init() throws {
        redis = try TestRedis.client()
    }

    /// The four services on the disposable node, until `body` returns.
    func withPipeline(_ body: (TestPipeline) async throws -> Void) async throws {
        var configuration = ServiceConfiguration()
        configuration.redisURL = TestServer.redis.url()
        configuration.rabbitmqURLs = [brokerURL]
        configuration.gatewayPort = 0
        configuration.dashboardPort = 0
        configuration.processorMetricsPort = 0
        configuration.notifierMetricsPort = 0
        configuration.prefetch = 8
        let pipeline = try await TestPipeline.start(configuration: configuration, logger: JSONLogger(service: "faults", minimum: .error), sender: sender)
        do {
            // Consumers start once their broker answers, after serving began.
            try await eventually("every role to be ready", within: .seconds(10)) {
                for role in ServiceRole.allCases where try await !ready(role, of: pipeline) { return false }
                return true
            }
            try await body(pipeline)
        } catch {
            try? await pipeline.stop()
            throw error
        }
        try await pipeline.stop()
    }

    func order(_ id: String, sku: String) -> String { #"{"id":"\#(id)","sku":"\#(sku)","qty":1}"# }

    func post(_ body: String, to pipeline: TestPipeline) async throws -> HTTPTestResponse {
        try await HTTPTestClient.request(port: pipeline.port(.gateway)!, method: "POST", path: "/orders", body: body, headers: ["Accept": "application/json"])
    }

    func ready(_ role: ServiceRole, of pipeline: TestPipeline) async throws -> Bool {
        try await HTTPTestClient.request(port: pipeline.port(role)!, method: "GET", path: "/readyz").status == 200
    }

    func state(_ id: String) async throws -> String? {
        try await redis.hget(PipelineKeys.unsharded.order(id), field: "state").map(String.init(describing:))
    }

    /// Runs `body` on a channel of a connection of its own, as an operator or another application would.
    func fromOutside(_ body: (AMQPChannel) async throws -> Void) async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: brokerURL))
        try await body(try await connection.openChannel())
        try await connection.close()
    }

    /// Posts `id` until it is accepted (503 while the broker side recovers); returns how long that took.
    @discardableResult
    func postUntilAccepted(_ id: String, sku: String, to pipeline: TestPipeline, within limit: Duration) async throws -> Duration {
        try await eventually("\(id) to be accepted", within: limit) {
            try await post(order(id, sku: sku), to: pipeline).status == 202
        }
    }

    @Test func aDeletedOrdersQueueIsDeclaredAgainAndOrdersFlowWithinFiveSeconds() async throws {
        try await withPipeline { pipeline in
            let sku = "FAULT-Q-\(run)"
            try await redis.set(PipelineKeys.inventory(sku), to: 100)
            try await postUntilAccepted("before-\(run)", sku: sku, to: pipeline, within: .seconds(5))
            try await eventually("the first order's notification", within: .seconds(10)) { try await state("before-\(run)") == "notified" }

            try await fromOutside { _ = try await $0.call(QueueDelete(queue: PipelineTopology.ordersQueue)) }
            let deleted = ContinuousClock.now

            try await postUntilAccepted("after-\(run)", sku: sku, to: pipeline, within: .seconds(5))
            try await eventually("the processor's consumer and route", within: .seconds(5)) {
                let processor = try await ready(.processor, of: pipeline)
                let gateway = try await ready(.gateway, of: pipeline)
                return processor && gateway
            }
            #expect(ContinuousClock.now - deleted < .seconds(5), "recovered without a restart")
            try await eventually("the later order's notification", within: .seconds(10)) { try await state("after-\(run)") == "notified" }
        }
    }

    @Test func aDeletedNotifierQueueLosesNoNotification() async throws {
        try await withPipeline { pipeline in
            let sku = "FAULT-N-\(run)"
            try await redis.set(PipelineKeys.inventory(sku), to: 100)
            try await fromOutside { _ = try await $0.call(QueueDelete(queue: PipelineTopology.notifierQueue)) }
            let ids = (0..<5).map { "notify-\(run)-\($0)" }
            for id in ids { try await postUntilAccepted(id, sku: sku, to: pipeline, within: .seconds(5)) }
            try await eventually("every notification", within: .seconds(15)) {
                sender.sends.withLock { sends in ids.allSatisfy { sends[$0] == 1 } }
            }
            try await eventually("the notifier's consumer", within: .seconds(5)) { try await ready(.notifier, of: pipeline) }
        }
    }

    /// The processor publishes events mandatory: with no queue bound for them the broker returns
    /// them, and the processor holds the order (no ack) until its client has bound the queue again.
    @Test func unroutableEventsAreHeldNotAcknowledgedUntilTheyRoute() async throws {
        try await withPipeline { pipeline in
            let sku = "FAULT-R-\(run)"
            try await redis.set(PipelineKeys.inventory(sku), to: 100)
            try await fromOutside { channel in
                for event in ["order.created", "order.rejected"] {
                    _ = try await channel.call(QueueUnbind(queue: PipelineTopology.notifierQueue, exchange: PipelineTopology.eventsExchange, routingKey: event))
                }
            }
            let id = "unrouted-\(run)"
            try await postUntilAccepted(id, sku: sku, to: pipeline, within: .seconds(5))
            try await eventually("the held event's notification", within: .seconds(10)) { sender.sends.withLock { $0[id] } == 1 }
            #expect(try await state(id) == "notified")
            try await fromOutside { channel in
                let dead = try await channel.call(QueueDeclare(queue: PipelineTopology.deadLetterQueue, passive: true))
                #expect(dead.messageCount == 0, "nothing was dead-lettered")
            }
        }
    }

    @Test func readinessIsFalseWhileAConsumerCannotBeRecovered() async throws {
        try await withPipeline { pipeline in
            // Declarations refused: the cancelled consumer cannot declare its queue again.
            _ = try await rabbitmqctl(node: node, ["set_permissions", "-p", "/", "guest", "^$", ".*", ".*"])
            do {
                _ = try await rabbitmqctl(node: node, ["delete_queue", PipelineTopology.ordersQueue])
                try await eventually("the processor to report not ready", within: .seconds(5)) { try await !ready(.processor, of: pipeline) }
                #expect(try await ready(.dashboard, of: pipeline), "only the role that lost its consumer is not ready")
            } catch {
                _ = try? await rabbitmqctl(node: node, ["set_permissions", "-p", "/", "guest", ".*", ".*", ".*"])
                throw error
            }
            _ = try await rabbitmqctl(node: node, ["set_permissions", "-p", "/", "guest", ".*", ".*", ".*"])
            try await eventually("the processor to be ready again", within: .seconds(10)) { try await ready(.processor, of: pipeline) }
        }
    }

    @Test func aBlockedBrokerIsAnswered503AtOnce() async throws {
        try await withPipeline { pipeline in
            let sku = "FAULT-B-\(run)"
            try await redis.set(PipelineKeys.inventory(sku), to: 100)
            try await postUntilAccepted("open-\(run)", sku: sku, to: pipeline, within: .seconds(5))
            _ = try await rabbitmqctl(node: node, ["set_vm_memory_high_watermark", "0.0000001"])
            do {
                // The broker blocks the connection when it next publishes: that one waits out its
                // confirm timeout.
                #expect(try await post(order("blocking-\(run)", sku: sku), to: pipeline).status == 503)
                let start = ContinuousClock.now
                let refused = try await post(order("blocked-\(run)", sku: sku), to: pipeline)
                #expect(ContinuousClock.now - start < .seconds(1), "answered at once")
                #expect(refused.status == 503)
                #expect(refused.body.contains("broker blocked"), "\(refused.body)")
            } catch {
                _ = try? await rabbitmqctl(node: node, ["set_vm_memory_high_watermark", "0.4"])
                throw error
            }
            _ = try await rabbitmqctl(node: node, ["set_vm_memory_high_watermark", "0.4"])
            try await postUntilAccepted("unblocked-\(run)", sku: sku, to: pipeline, within: .seconds(10))
        }
    }
}
