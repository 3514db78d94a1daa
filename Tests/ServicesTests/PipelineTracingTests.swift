import AMQP091
import Bytes
import HTTPServer
@testable import Services
import Synchronization
import Testing
import Tracing
import Transport

/// Keeps the spans that end, for the tests to look at.
final class SpanCollector: SpanProcessor {
    private let spans = Mutex<[FinishedSpan]>([])
    func onEnd(_ span: FinishedSpan) { spans.withLock { $0.append(span) } }

    var all: [FinishedSpan] { spans.withLock { $0 } }
    func named(_ name: String) -> [FinishedSpan] { all.filter { $0.name == name } }
}

extension FinishedSpan {
    func attribute(_ key: String) -> AttributeValue? { attributes[key] }
}

/// The trace of an order through the services' logic, without sockets: the context from the
/// HTTP request into the message, the batch's publish span, the consumers' spans continuing
/// each order's trace, and the attributes of the semantic conventions.
@Suite struct PipelineTracingTests {
    let collector = SpanCollector()
    var tracer: Tracer { Tracer(sampler: .parentBased(root: .alwaysOn), processor: collector) }
    static let client = SpanContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "vendor=opaque")!

    // MARK: Headers

    @Test func theHeadersCarryEveryOrdersContextInTheBodysOrder() throws {
        let message = SpanContext(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")!
        let unsampled = SpanContext(traceparent: "00-5bf92f3577b34da6a3ce929d0e0e4736-10f067aa0ba902b7-00")!
        let trace = MessageTrace(message: message, documents: [Self.client, nil, unsampled])
        var headers: FieldTable = ["x-other": "kept"]
        TraceHeaders.write(trace, into: &headers)
        #expect(headers["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" && headers["tracestate"] == nil)
        #expect(headers["x-order-traceparents"] == .array([
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", "00-5bf92f3577b34da6a3ce929d0e0e4736-10f067aa0ba902b7-00",
        ]))
        #expect(headers["x-order-tracestates"] == .array(["vendor=opaque", "", ""]))
        #expect(headers["x-other"] == "kept")
        #expect(TraceHeaders.read(headers) == trace)
        // Through the wire format too: the AMQP codec writes and reads the table back.
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(headers, "headers")
        #expect(TraceHeaders.read(try buffer.readFieldTable("headers")) == trace)
    }

    @Test func nothingIsWrittenForAMessageWithoutAValidContext() {
        var headers = FieldTable()
        TraceHeaders.write(.none, into: &headers)
        TraceHeaders.write(MessageTrace(message: .invalid, documents: [nil, .invalid]), into: &headers)
        #expect(headers.isEmpty)
        #expect(TraceHeaders.read(nil) == .none && TraceHeaders.read(FieldTable()) == .none)
    }

    @Test func malformedOrMistypedValuesAreReadAsMissingNeverAsErrors() {
        let headers: FieldTable = [
            "traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
            "x-order-traceparents": .array(["garbage", .int64(1), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]),
            "x-order-tracestates": "not an array",
        ]
        let trace = TraceHeaders.read(headers)
        #expect(trace.message == nil)
        #expect(trace.documents == [nil, nil, SpanContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")])
        #expect(trace.context(ofDocument: 0) == nil && trace.context(ofDocument: 7) == nil)
    }

    // MARK: Gateway

    /// A gateway whose routes are instrumented as a service's are, and what it logs.
    func gateway(_ publisher: ScriptedPublisher, tracer: Tracer) -> (handle: @Sendable (String) async throws -> HTTPResponse, lines: @Sendable () -> [String]) {
        let lines = Mutex<[String]>([])
        let logger = JSONLogger(service: "order-gateway", sink: { line in lines.withLock { $0.append(line) } })
        var router = HTTPRouter()
        ServiceRoutes.addGateway(to: &router, gateway: OrderGateway(store: MemoryGatewayStore(), publisher: publisher, tracer: tracer), reader: EmptyReader())
        ServiceRoutes.addOperational(to: &router, ready: { true }, prometheus: { "" })
        let instrumentation = HTTPInstrumentation(tracer: tracer, logger: logger, accessLog: true)
        return ({ [router] raw in try await instrumentation.handle(try HTTPRequest.parsing(raw), router.handle) }, { lines.withLock { $0 } })
    }

    func post(_ id: String, headers: String = "") -> String {
        let body = #"{"id":"\#(id)","email":"me@example.com","sku":"s","qty":1}"#
        return "POST /orders HTTP/1.1\r\nHost: gateway.test:8080\r\nUser-Agent: test/1\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func aClientsTraceparentIsContinuedIntoTheMessage() async throws {
        let publisher = ScriptedPublisher()
        let (handle, lines) = gateway(publisher, tracer: tracer)
        let response = try await handle(post("o-1", headers: "traceparent: \(Self.client.traceparent)\r\ntracestate: vendor=opaque\r\n"))
        #expect(response.status.code == 202)
        let server = try #require(collector.named("POST /orders").first)
        #expect(server.kind == .server && server.context.traceID == Self.client.traceID)
        #expect(server.parentSpanID == Self.client.spanID && server.parentIsRemote && server.context.tracestate == "vendor=opaque")
        #expect(server.attribute("http.request.method") == "POST" && server.attribute("url.path") == "/orders" && server.attribute("url.scheme") == "http")
        #expect(server.attribute("http.route") == "/orders" && server.attribute("http.response.status_code") == 202)
        #expect(server.attribute("server.address") == "gateway.test" && server.attribute("server.port") == 8080)
        #expect(server.attribute("user_agent.original") == "test/1" && server.attribute("network.protocol.version") == "1.1")
        #expect(server.attribute("order.id") == "o-1" && server.status == .unset)
        #expect(server.events.map(\.name) == ["claimed", "published", "accepted"])
        // The message carries the request's context for the order, and the publish span's.
        let sent = try #require(publisher.sent.withLock { $0.first })
        let publish = try #require(collector.named("publish orders.direct:orders").first)
        #expect(sent.trace == MessageTrace(message: publish.context, documents: [server.context]))
        #expect(publish.parentSpanID == server.context.spanID && publish.links.map(\.context) == [server.context])
        // The access log line is written in the request's span.
        let line = try #require(lines().first { $0.contains(#""msg":"request""#) })
        #expect(line.contains(#""trace_id":"\#(Self.client.traceID.hexString)","span_id":"\#(server.context.spanID.hexString)""#))
        #expect(line.contains(#""method":"POST","path":"/orders","status":202,"duration_ms":"#) && line.contains(#""bytes":"#))
        #expect(!collector.all.contains { "\($0.attributes)".contains("example.com") }, "no e-mail address in a span")
    }

    @Test(arguments: [
        "traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01\r\n", "traceparent: garbage\r\n",
        "traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01\r\n",
        "traceparent: \(client.traceparent)\r\ntraceparent: \(client.traceparent)\r\n",
    ])
    func aMalformedTraceparentIsIgnoredAndTheGatewayStartsATrace(header: String) async throws {
        let publisher = ScriptedPublisher()
        let response = try await gateway(publisher, tracer: tracer).handle(post("o-2", headers: header))
        #expect(response.status.code == 202)
        let server = try #require(collector.named("POST /orders").first)
        #expect(server.parentSpanID == nil && server.context.traceID != Self.client.traceID)
        #expect(publisher.sent.withLock { $0.first?.trace.documents } == [server.context])
    }

    @Test func withTracingOffNothingIsRecordedAndAClientsContextPassesThrough() async throws {
        let publisher = ScriptedPublisher()
        let (handle, lines) = gateway(publisher, tracer: .disabled)
        _ = try await handle(post("o-3"))
        _ = try await handle(post("o-4", headers: "traceparent: \(Self.client.traceparent)\r\n"))
        #expect(collector.all.isEmpty)
        let sent = publisher.sent.withLock { $0 }
        #expect(sent.map(\.trace.documents) == [[], [SpanContext(traceparent: Self.client.traceparent)]], "no headers at all for an order without a context")
        #expect(lines().filter { $0.contains(#""trace_id""#) }.count == 1)
    }

    @Test func healthChecksGetNoSpanButAnAccessLogLine() async throws {
        let (handle, lines) = gateway(ScriptedPublisher(), tracer: tracer)
        #expect(try await handle("GET /livez HTTP/1.1\r\nHost: a\r\n\r\n").status.code == 200)
        #expect(try await handle("GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n").status.code == 404)
        #expect(collector.all.map(\.name) == ["GET"], "an unmatched path keeps the method as its name")
        #expect(collector.all.first?.attribute("http.response.status_code") == 404)
        #expect(lines().filter { $0.contains(#""msg":"request""#) }.count == 2)
    }

    /// One broker message carries a batch: one publish span under the first recorded request,
    /// linked to every order's request span; every request span gets the batch's steps.
    @Test func aBatchIsPublishedInOneSpanLinkedToEveryRequest() async throws {
        let publisher = ScriptedPublisher()
        let requests = [Tracer(sampler: .alwaysOff, processor: collector).startSpan("POST /orders", kind: .server, parent: nil)]
            + (1..<4).map { _ in tracer.startSpan("POST /orders", kind: .server, parent: nil) }
        let outcomes = await commit(requests.indices.map { (id: "b-\($0)", span: requests[$0]) }, publisher: publisher)
        #expect(outcomes.allSatisfy { $0.status == 202 })
        for request in requests { request.end() }
        let publish = try #require(collector.named("publish orders.direct:orders").first)
        #expect(collector.named("publish orders.direct:orders").count == 1 && publish.kind == .producer)
        #expect(publish.parentSpanID == requests[1].context.spanID, "the first recorded request is the parent")
        #expect(publish.links.map(\.context) == requests.map(\.context))
        #expect(publish.links.map { $0.attributes["order.id"] } == ["b-0", "b-1", "b-2", "b-3"])
        #expect(publish.attribute("messaging.system") == "rabbitmq" && publish.attribute("messaging.operation.name") == "publish")
        #expect(publish.attribute("messaging.operation.type") == "send" && publish.attribute("messaging.destination.name") == "orders.direct:orders")
        #expect(publish.attribute("messaging.rabbitmq.destination.routing_key") == "orders" && publish.attribute("messaging.batch.message_count") == 4)
        #expect(publish.attribute("messaging.message.id") == "batch-t" && publish.attribute("server.address") == "broker.test" && publish.attribute("server.port") == 5672)
        let sent = try #require(publisher.sent.withLock { $0.first })
        #expect(publish.attribute("messaging.message.body.size") == .int(Int64(sent.body.count)))
        #expect(sent.trace == MessageTrace(message: publish.context, documents: requests.map(\.context)))
        for request in collector.named("POST /orders") { #expect(request.events.map(\.name) == ["claimed", "published", "accepted"]) }
    }

    @Test func aRefusedPublishIsAnErrorOnItsSpanAndEveryRequestHearsWhy() async throws {
        let requests = (0..<2).map { _ in tracer.startSpan("POST /orders", kind: .server, parent: nil) }
        let outcomes = await commit(requests.indices.map { (id: "n-\($0)", span: requests[$0]) }, publisher: ScriptedPublisher([.nacked]))
        #expect(outcomes.allSatisfy { $0.status == 503 })
        for request in requests { request.end() }
        let publish = try #require(collector.named("publish orders.direct:orders").first)
        #expect(publish.attribute("error.type") == "nack" && publish.status == .error(description: PublishOutcome.nacked.description))
        for request in collector.named("POST /orders") {
            #expect(request.events.map(\.name) == ["claimed", "unavailable"])
            #expect(request.events.last?.attributes["reason"] == .string("broker \(PublishOutcome.nacked) the order"))
        }
    }

    /// Commits `orders` as one batch, each submitted in its span.
    func commit(_ orders: [(id: String, span: Span)], publisher: ScriptedPublisher) async -> [GatewayOutcome] {
        let store = MemoryGatewayStore()
        var configuration = OrderGateway.Configuration()
        configuration.refusedPublishRetry = .zero
        let commit = BatchCommit(store: store, publisher: publisher, configuration: configuration,
                                 recorder: AcceptRecorder(store: store, ttl: .seconds(60), logger: nil, loops: .shared), logger: nil,
                                 spans: MessagingSpans(tracer: tracer), makeToken: { "t" }, sleep: { _ in })
        let batch = orders.map { order in
            let payload = Order(id: order.id, sku: "s", qty: 1).canonicalJSON
            return GatewaySubmission(order: Order(id: order.id, sku: "s", qty: 1), payload: payload, fingerprint: IdempotencyRecord.fingerprint(of: payload),
                                     idempotencyKey: nil, span: order.span)
        }
        return await commit.run(batch)
    }

    // MARK: Processor and notifier

    /// A message of `body` from `orders.direct` on `orders.queue`, carrying `trace`.
    func message(_ body: String, trace: MessageTrace, exchange: String = "orders.direct", routingKey: String = "orders", queue: String = "orders.queue") -> InboundMessage {
        InboundMessage(body: bytes(body), attempt: 1, trace: trace, messageID: "m-1", exchange: exchange, routingKey: routingKey, queue: queue,
                       deliveryTag: 7, broker: BrokerAddress(host: "broker.test", port: 5672))
    }

    @Test func theProcessorContinuesEachOrdersTraceAndCarriesItOnToTheEvents() async throws {
        let reservations = MemoryReservations()
        reservations.stock.withLock { $0 = ["s": 1] }
        let events = ScriptedPublisher(exchange: "orders.topic")
        let other = SpanContext(traceparent: "00-5bf92f3577b34da6a3ce929d0e0e4736-10f067aa0ba902b7-01")!
        let creation = SpanContext(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")!
        let processor = OrderProcessor(store: reservations, events: events, tracer: tracer)
        let action = await processor.handle(message(#"[{"id":"p-1","sku":"s","qty":1},{"id":"p-2","sku":"s","qty":1}]"#,
                                                    trace: MessageTrace(message: creation, documents: [Self.client, other])))
        #expect(action == .ack)
        let process = collector.named("process orders.direct:orders:orders.queue").sorted { "\($0.attribute("order.id")!)" < "\($1.attribute("order.id")!)" }
        try #require(process.count == 2)
        for (span, parent) in zip(process, [Self.client, other]) {
            #expect(span.kind == .consumer && span.context.traceID == parent.traceID && span.parentSpanID == parent.spanID && span.parentIsRemote)
            #expect(span.links.map(\.context) == [creation])
            #expect(span.attribute("messaging.system") == "rabbitmq" && span.attribute("messaging.operation.type") == "process")
            #expect(span.attribute("messaging.destination.name") == "orders.direct:orders:orders.queue" && span.attribute("messaging.message.id") == "m-1")
            #expect(span.attribute("messaging.rabbitmq.message.delivery_tag") == 7 && span.attribute("messaging.rabbitmq.destination.routing_key") == "orders")
        }
        #expect(process[0].attribute("order.decision") == "reserved" && process[1].attribute("order.decision") == "rejected")
        #expect(process[1].attribute("order.rejection_reason") == "insufficient_stock")
        // One event message per kind, each carrying its order's processing context.
        for sent in events.sent.withLock({ $0 }) {
            let index = sent.routingKey == "order.created" ? 0 : 1
            let publish = try #require(collector.named("publish orders.topic:\(sent.routingKey)").first)
            #expect(sent.trace == MessageTrace(message: publish.context, documents: [process[index].context]))
            #expect(publish.parentSpanID == process[index].context.spanID && publish.links.map(\.context) == [process[index].context])
        }
        #expect(events.sent.withLock { $0.count } == 2)
    }

    @Test func aFailedDecisionIsAnErrorOnEveryOrdersSpan() async throws {
        let reservations = MemoryReservations()
        reservations.failures.withLock { $0 = 1 }
        let processor = OrderProcessor(store: reservations, events: ScriptedPublisher(exchange: "orders.topic"), tracer: tracer)
        guard case .retry = await processor.handle(message(#"{"id":"f-1","sku":"s","qty":1}"#, trace: MessageTrace(documents: [Self.client]))) else {
            Issue.record("expected a retry")
            return
        }
        let span = try #require(collector.all.first)
        #expect(span.attribute("error.type") == "retry" && span.context.traceID == Self.client.traceID)
        if case .error = span.status {} else { Issue.record("status \(span.status)") }
    }

    @Test func theNotifierContinuesEachOrdersTraceAndSendsInAChildSpan() async throws {
        let sender = ContextRecordingSender()
        let notifier = OrderNotifier(store: MemoryNotifications(), sender: sender, tracer: tracer)
        let body = #"[{"event":"order.created","id":"n-1","sku":"s","qty":1,"reason":"","email":"me@example.com"},"#
            + #"{"event":"order.created","id":"n-1","sku":"s","qty":1,"reason":""}]"#
        let action = await notifier.handle(message(body, trace: MessageTrace(documents: [Self.client, nil]), exchange: "orders.topic",
                                                   routingKey: "order.created", queue: "notifier.queue"))
        #expect(action == .ack)
        let process = try #require(collector.named("process orders.topic:order.created:notifier.queue").first)
        #expect(collector.named("process orders.topic:order.created:notifier.queue").count == 1, "the repeated event is handled once")
        #expect(process.parentSpanID == Self.client.spanID && process.attribute("notification.lease") == "taken")
        let send = try #require(collector.named("send notification").first)
        #expect(send.kind == .client && send.parentSpanID == process.context.spanID && send.context.traceID == Self.client.traceID)
        #expect(sender.contexts.withLock { $0 } == [send.context], "the sender runs (and logs) in the send span")
        #expect(!collector.all.contains { "\($0.attributes)".contains("example.com") })
    }
}

/// Records the span each notification is sent in.
final class ContextRecordingSender: NotificationSender {
    let contexts = Mutex<[SpanContext]>([])
    func send(_ notification: Services.Notification) async throws {
        if let context = Span.current?.context { contexts.withLock { $0.append(context) } }
    }
}

/// A reader with no orders.
struct EmptyReader: PipelineReader {
    func snapshot(sku: String?, orderID: String?) async throws -> DashboardSnapshot { DashboardSnapshot(processedOrdersCount: 0, totals: [:]) }
    func status(orderID: String) async throws -> OrderStatus? { nil }
}
