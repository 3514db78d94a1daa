import AMQP091
import Foundation
import RESP
@testable import Services
import Synchronization
import Testing
import TestSupport
import Tracing

/// Records, per order, the span its notification was sent in.
final class SpanRecordingSender: NotificationSender {
    let sent = Mutex<[String: SpanContext]>([:])
    func send(_ notification: Services.Notification) async throws {
        let context = Span.current?.context ?? .invalid
        sent.withLock { $0[notification.orderID] = context }
    }
}

/// One order's trace through the four services, exported to the OTLP test receiver
/// (`scripts/interop/otlp-receiver.sh`), which checks every export against the official
/// protobuf schema. The pipeline runs on a virtual host of its own, so the other pipelines of
/// the test process cannot take its deliveries.
@Suite(.serialized, .timeLimit(.minutes(2)), .requires(.redis), .requires(.rabbitmq), .requires(.otlpReceiver))
struct TracingEndToEndTests {
    static let virtualHost = "order-pipeline-tracing-tests"
    let run = UUID().uuidString.prefix(8).lowercased()
    /// The receiver's path prefix for this test's exports.
    let namespace = "/e2e-\(UUID().uuidString.prefix(8).lowercased())"
    static let client = SpanContext(traceparent: "00-\(String(repeating: "ab", count: 8))\(String(format: "%016llx", UInt64.random(in: 1...UInt64.max)))-00f067aa0ba902b7-01",
                                    tracestate: "vendor=opaque")!

    /// A span as the receiver parsed it, with the service that exported it.
    struct ExportedSpan {
        let service: String
        let fields: [String: Any]
        var name: String { fields["name"] as? String ?? "" }
        var traceID: String { fields["traceId"] as? String ?? "" }
        var spanID: String { fields["spanId"] as? String ?? "" }
        var parentSpanID: String { fields["parentSpanId"] as? String ?? "" }
        var kind: Int { fields["kind"] as? Int ?? 0 }
        var links: [String] { (fields["links"] as? [[String: Any]] ?? []).compactMap { $0["spanId"] as? String } }
        /// A string or integer attribute, as text.
        func attribute(_ key: String) -> String? {
            guard let value = (fields["attributes"] as? [String: Any])?[key] as? [String: Any] else { return nil }
            return (value["string"] as? String) ?? (value["int"] as? Int).map(String.init)
        }
    }

    /// Runs the four services in one process with tracing to the receiver and the access log on,
    /// until `body` returns; the spans are flushed when it stops. Returns the lines logged.
    func withPipeline(sender: SpanRecordingSender, _ body: (TestPipeline) async throws -> Void) async throws -> [String] {
        _ = try? await rabbitmqctl(["add_vhost", Self.virtualHost])
        _ = try await rabbitmqctl(["set_permissions", "-p", Self.virtualHost, "guest", ".*", ".*", ".*"])
        let broker = try AMQPURL(parsing: TestServer.rabbitmq.url())
        var configuration = ServiceConfiguration()
        configuration.redisURL = TestServer.redis.url()
        configuration.rabbitmqURLs = ["amqp://\(broker.user):\(broker.password)@\(broker.host):\(broker.port)/\(Self.virtualHost)"]
        configuration.gatewayPort = 0
        configuration.dashboardPort = 0
        configuration.processorMetricsPort = 0
        configuration.notifierMetricsPort = 0
        configuration.accessLog = true
        configuration.otel = ["OTEL_EXPORTER_OTLP_ENDPOINT": TestServer.otlpReceiver.url() + namespace, "OTEL_BSP_SCHEDULE_DELAY": "200"]
        let lines = Mutex<[String]>([])
        let logger = JSONLogger(service: "order-pipeline", sink: { line in lines.withLock { $0.append(line) } })
        let pipeline = try await TestPipeline.start(configuration: configuration, logger: logger, sender: sender)
        do {
            try await body(pipeline)
        } catch {
            try? await pipeline.stop()
            throw error
        }
        try await pipeline.stop()
        return lines.withLock { $0 }
    }

    func post(_ id: String, sku: String, to pipeline: TestPipeline, headers: [String: String]) async throws -> Int {
        let body = #"{"id":"\#(id)","email":"me@example.com","sku":"\#(sku)","qty":1}"#
        return try await HTTPTestClient.request(port: pipeline.port(.gateway)!, method: "POST", path: "/orders", body: body, headers: headers).status
    }

    /// Every span the receiver got in this test's namespace; every export must have been valid.
    func exportedSpans() async throws -> [ExportedSpan] {
        let receiver = try TestServer.otlpReceiver.endpoint()
        let response = try await HTTPTestClient.request(port: receiver.port, method: "GET", path: "/control/requests?ns=\(namespace)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        let requests = document["requests"] as? [[String: Any]] ?? []
        for request in requests { #expect(request["valid"] as? Bool == true, "export refused: \(request["error"] ?? "")") }
        return requests.flatMap { request -> [ExportedSpan] in
            let resourceSpans = (request["request"] as? [String: Any])?["resourceSpans"] as? [[String: Any]] ?? []
            return resourceSpans.flatMap { resource -> [ExportedSpan] in
                let attributes = resource["resource"] as? [String: Any]
                let service = (attributes?["service.name"] as? [String: Any])?["string"] as? String ?? ""
                let scopes = resource["scopeSpans"] as? [[String: Any]] ?? []
                return scopes.flatMap { ($0["spans"] as? [[String: Any]] ?? []).map { ExportedSpan(service: service, fields: $0) } }
            }
        }
    }

    @Test func oneOrdersTraceGoesFromTheRequestThroughAllThreeServices() async throws {
        let sender = SpanRecordingSender()
        let redis = try TestRedis.client()
        let sku = "trace-\(run)", id = "trace-\(run)", other = "untraced-\(run)"
        try await redis.set(PipelineKeys.inventory(sku), to: 10)
        let lines = try await withPipeline(sender: sender) { pipeline in
            let traced = ["traceparent": Self.client.traceparent, "tracestate": "vendor=opaque"]
            #expect(try await post(id, sku: sku, to: pipeline, headers: traced) == 202)
            #expect(try await post(other, sku: sku, to: pipeline, headers: ["traceparent": "00-not-a-trace-01"]) == 202, "a malformed header is ignored")
            try await eventually("both orders' notifications sent", within: .seconds(60), every: .milliseconds(50)) {
                sender.sent.withLock { $0[id] != nil && $0[other] != nil }
            }
        }
        let trace = Self.client.traceID.hexString
        let spans = try await exportedSpans()
        let mine = spans.filter { $0.traceID == trace }
        func one(_ name: String, _ service: String) throws -> ExportedSpan {
            let found = mine.filter { $0.name == name && $0.service == service }
            try #require(found.count == 1, "\(name) of \(service): \(found.count) in \(mine.map { "\($0.service) \($0.name)" })")
            return found[0]
        }
        // The gateway: the request continues the client's trace; its batch of one is published in a span under it.
        // With replicas to wait for (Sentinel, Cluster), a script and its WAIT are one pipeline.
        let replicas = PipelineRedisLayout.connectedReplicas(inInfo: try await TestRedis.client().info("replication")) ?? 0
        let script = replicas > 0 ? "PIPELINE" : "EVALSHA"
        let request = try one("POST /orders", "order-gateway")
        #expect(request.parentSpanID == Self.client.spanID.hexString && request.kind == 2 && request.fields["traceState"] as? String == "vendor=opaque")
        #expect(request.attribute("http.route") == "/orders" && request.attribute("http.response.status_code") == "202" && request.attribute("order.id") == id)
        let claim = try one("\(script) claim", "order-gateway")
        let publish = try one("publish orders.direct:orders", "order-gateway")
        let accept = try one("\(script) accept", "order-gateway")
        #expect([claim, publish, accept].allSatisfy { $0.parentSpanID == request.spanID })
        #expect(publish.kind == 4 && publish.links == [request.spanID] && claim.attribute("db.system.name") == "redis")
        // The processor: the order's processing is the request's child, its decision and event under it.
        let decision = try one("process orders.direct:orders:orders.queue", "order-processor")
        #expect(decision.parentSpanID == request.spanID && decision.kind == 5 && decision.links == [publish.spanID])
        #expect(decision.attribute("order.decision") == "reserved" && decision.attribute("messaging.system") == "rabbitmq")
        // On a Cluster the decision is made beside the SKU's stock, then recorded on the order's shard.
        for name in TestRedis.isCluster ? ["\(script) decide", "\(script) record decisions"] : ["\(script) reserve"] {
            #expect(try one(name, "order-processor").parentSpanID == decision.spanID, "\(name)")
        }
        let event = try one("publish orders.topic:order.created", "order-processor")
        #expect(event.parentSpanID == decision.spanID && event.links == [decision.spanID])
        // The notifier: lease, send and record, under the notification's processing.
        let notification = try one("process orders.topic:order.created:notifier.queue", "order-notifier")
        #expect(notification.parentSpanID == decision.spanID && notification.links == [event.spanID])
        for name in ["\(script) lease", "send notification", "\(script) record sent"] {
            #expect(try one(name, "order-notifier").parentSpanID == notification.spanID, "\(name)")
        }
        #expect(sender.sent.withLock { $0[id] }?.spanID.hexString == (try one("send notification", "order-notifier")).spanID)
        // The order with the malformed header got a trace of its own.
        let started = try #require(spans.first { $0.name == "POST /orders" && $0.attribute("order.id") == other })
        #expect(started.parentSpanID.isEmpty && started.traceID != trace)
        #expect(!spans.contains { "\($0.fields)".contains("example.com") }, "no e-mail address in a span")
        // The logs: the access log line of the request carries its trace, every line its role.
        let access = try #require(lines.first { $0.contains(#""msg":"request""#) && $0.contains(#""path":"/orders""#) && $0.contains(trace) })
        #expect(access.contains(#""service":"order-gateway""#) && access.contains(#""span_id":"\#(request.spanID)""#))
        for role in ServiceRole.allCases { #expect(lines.contains { $0.contains(#""service":"\#(role.serviceName)","msg":"serving""#) }) }
    }
}

