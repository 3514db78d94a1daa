import AMQP091
import Bytes
import Foundation
import RESP
@testable import Services
import Synchronization
import Testing
import TestSupport

/// Counts sends per order, to prove each order is notified exactly once.
final class CountingSender: NotificationSender {
    let sends = Mutex<[String: Int]>([:])
    func send(_ notification: Services.Notification) async throws {
        sends.withLock { $0[notification.orderID, default: 0] += 1 }
    }
}

/// One pipeline for the whole suite: Swift Testing makes an instance per test, and two pipelines
/// at once would take each other's deliveries. It runs until the test process exits.
enum SharedPipeline {
    static let sender = CountingSender()
    /// The keys the services use on the topology of `REDIS_URL` (sharded on a Cluster).
    static let keys = PipelineRedisLayout.keys(for: try! RedisTopology(url: TestServer.redis.url()), shards: ServiceConfiguration().redisShards)
    static let started = Task { () throws -> RunningPipeline in
        var configuration = ServiceConfiguration()
        configuration.redisURL = TestServer.redis.url()
        configuration.rabbitmqURLs = [TestServer.rabbitmq.url()]
        configuration.gatewayPort = 0
        configuration.dashboardPort = 0
        configuration.processorMetricsPort = 0
        configuration.notifierMetricsPort = 0
        configuration.prefetch = 32
        let logger = JSONLogger(service: "e2e", minimum: .warning)
        return try await TestPipeline.start(configuration: configuration, logger: logger, sender: sender).running
    }
}

/// The four services in one process over the real Redis and RabbitMQ, driven through HTTP as a
/// client would. Serialized so their load does not overlap; ids and SKUs are unique per test.
@Suite(.serialized, .requires(.redis), .requires(.rabbitmq))
struct PipelineEndToEndTests {
    let run = UUID().uuidString.prefix(8).lowercased()
    let redis: any RedisClientProtocol
    let sender = SharedPipeline.sender
    let gateway: Int
    let dashboard: Int

    init() async throws {
        let pipeline = try await SharedPipeline.started.value
        redis = try TestRedis.client()
        gateway = pipeline.port(.gateway)!
        dashboard = pipeline.port(.dashboard)!
    }

    func order(_ id: String, sku: String, qty: Int) -> String { #"{"id":"\#(id)","sku":"\#(sku)","qty":\#(qty)}"# }

    func post(_ body: String, headers: [String: String] = [:]) async throws -> HTTPTestResponse {
        try await HTTPTestClient.request(port: gateway, method: "POST", path: "/orders", body: body, headers: headers)
    }

    func state(_ id: String) async throws -> String? {
        try await redis.hget(SharedPipeline.keys.order(id), field: "state").map(String.init(describing:))
    }

    /// The dashboard's `/metrics` document for `query`.
    func metrics(_ query: String = "") async throws -> [String: Any] {
        let response = try await HTTPTestClient.request(port: dashboard, method: "GET", path: "/metrics\(query)")
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
    }

    func processedCount() async throws -> Int {
        try #require(try await metrics()["processed_orders_count"] as? Int)
    }

    func stock(_ sku: String) async throws -> Int? {
        try await redis.get(PipelineKeys.inventory(sku)).flatMap { Int(String(describing: $0)) }
    }

    @Test func theSeedsWalkthrough() async throws {
        let sku = "ABC-\(run)"
        let id = "order-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 100)
        // As the dashboard counts it: on a Cluster the sum of the pipeline's shards, whereas the plain
        // name is a mirror that suites with shard tags of their own also count into.
        let processedBefore = try await processedCount()
        let accepted = try await post(order(id, sku: sku, qty: 2))
        #expect(accepted.status == 202 && accepted.body == "Order received: \(id)", "\(accepted.status) \(accepted.body)")
        let duplicate = try await post(order(id, sku: sku, qty: 2))
        #expect(duplicate.status == 409 && duplicate.body == "Duplicate order")
        // The sender counts a send before it is recorded: wait for the record itself.
        try await eventually("the notification") { try await state(id) == "notified" }
        #expect(sender.sends.withLock { $0[id] } == 1)
        let object = try await metrics("?sku=\(sku)&order_id=\(id)")
        #expect(object["inventory_level"] as? Int == 98)
        #expect(object["notification_status"] as? String == "sent")
        #expect((object["processed_orders_count"] as? Int ?? 0) >= processedBefore + 1)
        let status = try await HTTPTestClient.request(port: gateway, method: "GET", path: "/orders/\(id)")
        #expect(status.status == 200 && status.body.contains(#""state":"notified""#))
    }

    @Test func concurrentDuplicatesAreAcceptedOnce() async throws {
        let sku = "DUP-\(run)"
        let id = "dup-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 10)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await self.post(self.order(id, sku: sku, qty: 1)).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 202 }.count == 1)
        #expect(statuses.filter { $0 == 409 }.count == 19)
        try await eventually("the notification") { sender.sends.withLock { $0[id] } == 1 }
        #expect(try await stock(sku) == 9)
    }

    @Test func idempotencyKeysReplayRefuseAnotherPayloadAndNeverReuseAnOrderID() async throws {
        let sku = "IDEM-\(run)"
        let id = "idem-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 10)
        let key = ["Idempotency-Key": "key-\(run)"]
        let first = try await post(order(id, sku: sku, qty: 1), headers: key)
        #expect(first.status == 202 && first.body == "Order received: \(id)")
        let replay = try await post(order(id, sku: sku, qty: 1), headers: key)
        #expect(replay.status == 202 && replay.header("Idempotent-Replayed") == "true")
        #expect(try await post(order(id, sku: sku, qty: 2), headers: key).status == 422)
        #expect(try await post(order(id, sku: sku, qty: 1), headers: ["Idempotency-Key": "other-\(run)"]).status == 409)
        #expect(try await post(order(id, sku: sku, qty: 1)).status == 409)
        try await eventually("the notification") { try await state(id) == "notified" }
        #expect(try await stock(sku) == 9)
        #expect(sender.sends.withLock { $0[id] } == 1)
    }

    @Test func outOfStockAndUnknownSKUsAreRejectedWithAReason() async throws {
        let sku = "LOW-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 1)
        #expect(try await post(order("low-\(run)", sku: sku, qty: 5)).status == 202)
        #expect(try await post(order("unknown-\(run)", sku: "NONE-\(run)", qty: 1)).status == 202)
        try await eventually("both decisions") {
            let low = try await state("low-\(run)")
            let unknown = try await state("unknown-\(run)")
            return low == "rejected" && unknown == "rejected"
        }
        #expect(try await redis.hget(SharedPipeline.keys.order("low-\(run)"), field: "reason").map(String.init(describing:)) == "insufficient_stock")
        #expect(try await redis.hget(SharedPipeline.keys.order("unknown-\(run)"), field: "reason").map(String.init(describing:)) == "unknown_sku")
        #expect(try await stock(sku) == 1)
        try await eventually("rejection notices") { sender.sends.withLock { $0["low-\(run)"] == 1 && $0["unknown-\(run)"] == 1 } }
    }

    @Test func aMalformedMessageIsDeadLettered() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: TestServer.rabbitmq.url()))
        let channel = try await connection.openChannel()
        func depth() async throws -> UInt32 { try await channel.queueDeclare(PipelineTopology.deadLetterQueue, passive: true).messageCount }
        let before = try await depth()
        try channel.publish(exchange: PipelineTopology.ordersExchange, routingKey: PipelineTopology.ordersRoutingKey, body: ByteBuffer(string: "not an order \(run)"))
        try await eventually("the dead-lettered message") { try await depth() == before + 1 }
        let dashboardView = try await HTTPTestClient.request(port: dashboard, method: "GET", path: "/metrics")
        #expect(dashboardView.body.contains("\"dlq_depth\":"))
        try await connection.close()
    }

    @Test func aThousandOrdersReconcileExactly() async throws {
        let skus = (0..<50).map { "REC-\(run)-\($0)" }
        let initial = 30
        for sku in skus { try await redis.set(PipelineKeys.inventory(sku), to: initial) }
        var generator = SystemRandomNumberGenerator()
        let orders = (0..<1000).map { i in (id: "rec-\(run)-\(i)", sku: skus.randomElement(using: &generator)!, qty: Int.random(in: 1...3, using: &generator)) }
        let accepted = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            var next = 0
            var results: [Int: Bool] = [:]
            func submit(_ index: Int) {
                let o = orders[index]
                group.addTask { (index, try await self.post(self.order(o.id, sku: o.sku, qty: o.qty)).status == 202) }
            }
            while next < 32 { submit(next); next += 1 }
            while let (index, ok) = try await group.next() {
                results[index] = ok
                if next < orders.count { submit(next); next += 1 }
            }
            return results
        }
        #expect(accepted.values.allSatisfy { $0 }, "every order was accepted")
        // Done when Redis says so for every order: decided, and the notification recorded as sent.
        try await eventually("every order to be decided and notified", within: .seconds(120)) {
            let replies = try await redis.pipeline(orders.flatMap { o -> [[any RESPArgument]] in
                [["HGET", SharedPipeline.keys.order(o.id), "state"], ["HGET", SharedPipeline.keys.notification(o.id), "status"]]
            })
            return stride(from: 0, to: replies.count, by: 2).allSatisfy { index in
                ["notified", "rejected"].contains(replies[index].string) && replies[index + 1].string == "sent"
            }
        }
        var reservedBySKU: [String: Int] = [:]
        var reserved = 0
        var rejected = 0
        for o in orders {
            switch try await state(o.id) {
            case "notified":
                reserved += 1
                reservedBySKU[o.sku, default: 0] += o.qty
            case "rejected": rejected += 1
            case let other: Issue.record("order \(o.id) ended as \(other ?? "nothing")")
            }
        }
        #expect(reserved + rejected == orders.count)
        for sku in skus {
            let left = try #require(try await stock(sku))
            #expect(left == initial - reservedBySKU[sku, default: 0], "inventory of \(sku)")
            #expect(left >= 0)
        }
        #expect(sender.sends.withLock { sends in orders.allSatisfy { sends[$0.id] == 1 } }, "one notification per order")
        for o in orders {
            #expect(try await redis.hget(SharedPipeline.keys.notification(o.id), field: "sends").map(String.init(describing:)) == "1", "sends recorded for \(o.id)")
        }
    }
}
