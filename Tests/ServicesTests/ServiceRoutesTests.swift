import Bytes
import Foundation
import HTTPServer
import Services
import Synchronization
import Testing

/// The routes driven through the real parser and router, without sockets.
@Suite struct ServiceRoutesTests {
    struct FixedReader: PipelineReader {
        var orders: [String: OrderStatus] = [:]

        func snapshot(sku: String?, orderID: String?) async throws -> DashboardSnapshot {
            DashboardSnapshot(processedOrdersCount: 7, inventoryLevel: sku == "known" ? 42 : nil,
                              notificationStatus: orderID == "o-1" ? "sent" : nil,
                              totals: ["reserved": 5, "accepted": 7, "notified": 4, "duplicates": 1, "rejected": 2])
        }

        func status(orderID: String) async throws -> OrderStatus? { orders[orderID] }
    }

    let router: HTTPRouter

    init() {
        var router = HTTPRouter()
        let gateway = OrderGateway(store: MemoryGatewayStore(), publisher: ScriptedPublisher())
        let reader = FixedReader(orders: ["o-9": OrderStatus(id: "o-9", state: "rejected", reason: "unknown_sku")])
        ServiceRoutes.addGateway(to: &router, gateway: gateway, reader: reader)
        ServiceRoutes.addDashboard(to: &router, reader: reader, dlqDepth: { 3 })
        ServiceRoutes.addOperational(to: &router, ready: { true }, prometheus: { "up 1\n" })
        self.router = router
    }

    func send(_ raw: String) async throws -> (status: HTTPStatus, headers: HTTPHeaders, body: String) {
        let response = try await router.handle(try HTTPRequest.parsing(raw))
        guard case .bytes(let bytes) = response.body else { throw ParseFailure() }
        return (response.status, response.headers, String(describing: bytes))
    }

    struct ParseFailure: Error {}

    func post(_ body: String, headers: String = "") -> String {
        "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func theSeedsOrderWalkthrough() async throws {
        let accepted = try await send(post(#"{"id":"order-1","sku":"ABC","qty":1}"#))
        #expect(accepted.status == 202 && accepted.body == "Order received: order-1")
        let duplicate = try await send(post(#"{"id":"order-1","sku":"ABC","qty":1}"#))
        #expect(duplicate.status == 409 && duplicate.body == "Duplicate order")
        let invalid = try await send(post("{nope"))
        #expect(invalid.status == 400 && invalid.body == "Invalid JSON")
        let missing = try await send(post(#"{"id":"x","qty":1}"#))
        #expect(missing.status == 400 && missing.body == "Missing or invalid fields")
        let wrongMethod = try await send("GET /orders HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(wrongMethod.status == 405 && wrongMethod.body == "Method not allowed")
    }

    @Test func answersInJSONWhenAsked() async throws {
        let reply = try await send(post(#"{"id":"o-2","sku":"ABC","qty":0}"#, headers: "Accept: application/json\r\n"))
        #expect(reply.status == 400)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "Missing or invalid fields" && object["field"] as? String == "qty")
        #expect(object["status"] as? Int == 400, "the status is a number")
    }

    /// Regression: the dashboard's keys came in another order from call to call.
    @Test func theDashboardAnswersTheSameBytesEveryTime() async throws {
        let first = try await send("GET /metrics?sku=known&order_id=o-1 HTTP/1.1\r\nHost: x\r\n\r\n").body
        for _ in 0..<5 {
            #expect(try await send("GET /metrics?sku=known&order_id=o-1 HTTP/1.1\r\nHost: x\r\n\r\n").body == first)
        }
        #expect(first == #"{"dlq_depth":3,"inventory_level":42,"notification_status":"sent","processed_orders_count":7,"totals":{"accepted":7,"duplicates":1,"notified":4,"rejected":2,"reserved":5}}"#)
    }

    @Test func anIdempotentReplayIsMarked() async throws {
        let body = #"{"id":"o-3","sku":"ABC","qty":1}"#
        _ = try await send(post(body, headers: "Idempotency-Key: k\r\n"))
        let replay = try await send(post(body, headers: "Idempotency-Key: k\r\n"))
        #expect(replay.status == 202)
        #expect(replay.headers.contains { $0.name == "Idempotent-Replayed" && $0.value == "true" })
    }

    @Test func reportsAnOrdersState() async throws {
        let known = try await send("GET /orders/o-9 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(known.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(known.body.utf8)) as? [String: String])
        #expect(object == ["id": "o-9", "state": "rejected", "reason": "unknown_sku"])
        #expect(try await send("GET /orders/nope HTTP/1.1\r\nHost: x\r\n\r\n").status == 404)
    }

    @Test func dashboardKeepsTheSeedsFieldsAndOmitsWhatIsUnknown() async throws {
        let full = try await send("GET /metrics?sku=known&order_id=o-1 HTTP/1.1\r\nHost: x\r\n\r\n")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(full.body.utf8)) as? [String: Any])
        #expect(object["processed_orders_count"] as? Int == 7)
        #expect(object["inventory_level"] as? Int == 42)
        #expect(object["notification_status"] as? String == "sent")
        #expect(object["dlq_depth"] as? Int == 3)
        let bare = try await send("GET /metrics?sku=unknown HTTP/1.1\r\nHost: x\r\n\r\n")
        let bareObject = try #require(try JSONSerialization.jsonObject(with: Data(bare.body.utf8)) as? [String: Any])
        #expect(bareObject["inventory_level"] == nil && bareObject["notification_status"] == nil)
    }

    @Test func operationalEndpoints() async throws {
        #expect(try await send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        #expect(try await send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        let metrics = try await send("GET /metrics/prometheus HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(metrics.body == "up 1\n")
        #expect(metrics.headers.contains { $0.name == "Content-Type" && $0.value.hasPrefix("text/plain; version=0.0.4") })
    }

    @Test func readinessAnswers503UntilItsCheckPasses() async throws {
        let ready = Atomic<Bool>(false)
        var router = HTTPRouter()
        ServiceRoutes.addOperational(to: &router, ready: { ready.load(ordering: .relaxed) }, prometheus: { "" })
        let probe = try HTTPRequest.parsing("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await router.handle(probe).status == 503)
        ready.store(true, ordering: .relaxed)
        #expect(try await router.handle(probe).status == 200)
    }
}
