import Foundation
import HTTPClient
import TestSupport
import Testing
import Transport
@testable import Tracing

/// Spans exported for real to the OTLP test receiver, which checks each request against the
/// official schema with protobuf's strict JSON parser.
@Suite(.requires(.otlpReceiver)) struct OTLPExportTests {
    private func exporter(_ receiver: OTLPReceiver, timeout: Duration = .seconds(5),
                          backoff: Backoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(50))) throws -> OTLPHTTPExporter {
        OTLPHTTPExporter(configuration: OTLPExporterConfiguration(endpoint: try receiver.tracesEndpoint, headers: ["x-api-key": "k=1"], timeout: timeout, backoff: backoff),
                         resource: [Attribute("service.name", "order-gateway"), Attribute("deployment.environment", "test")])
    }

    private func someSpans(_ count: Int) -> [FinishedSpan] {
        let processor = CollectingProcessor()
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        for index in 0..<count { tracer.startSpan("span \(index)", parent: nil).end() }
        return processor.spans
    }

    @Test func exportedSpansValidateAndCarryIdsAttributesAndLinks() async throws {
        let receiver = try OTLPReceiver()
        let processor = BatchSpanProcessor(exporter: try exporter(receiver))
        let tracer = Tracer(sampler: .parentBased(root: .alwaysOn), processor: processor, scope: InstrumentationScope(name: "gateway", version: "0.1"))
        let remote = try #require(SpanContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "congo=t61rcWkgMzE"))
        let orderA = tracer.startSpan("order a", parent: nil)
        let orderB = tracer.startSpan("order b", parent: nil)
        let publish = await tracer.withSpan("POST /orders", kind: .server, parent: remote) { request in
            request.setAttribute("http.request.method", "POST")
            request.setAttribute("http.response.status_code", 202)
            request.setAttribute("server.duration.ratio", 0.75)
            request.setAttribute("order.retried", false)
            request.setAttribute("order.skus", .stringArray(["ABC", "DEF"]))
            request.addEvent("claimed") { $0["order.count"] = 2 }
            let publish = tracer.startSpan("orders.direct publish", kind: .producer,
                                           links: [SpanLink(orderA.context), SpanLink(orderB.context, attributes: { var a = Attributes(); a["messaging.batch.index"] = 1; return a }())])
            publish.setStatus(.error(description: "nacked"))
            publish.end()
            return publish.context
        }
        orderA.end()
        orderB.end()
        #expect(await processor.forceFlush())
        #expect(processor.statistics.exported == 4)

        let requests = try await receiver.requests()
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request["valid"] as? Bool == true, "\(request["error"] ?? "")")
        #expect((request["headers"] as? [String: String])?["x-api-key"] == "k=1")
        let parsed = try #require(request["request"] as? [String: Any])
        let resource = try #require((parsed["resourceSpans"] as? [[String: Any]])?.first?["resource"] as? [String: [String: Any]])
        #expect(resource["service.name"]?["string"] as? String == "order-gateway")

        let spans = try await receiver.spans()
        let byName = Dictionary(uniqueKeysWithValues: spans.map { ($0["name"] as! String, $0) })
        let server = try #require(byName["POST /orders"])
        #expect(server["traceId"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(server["parentSpanId"] as? String == "00f067aa0ba902b7")
        #expect(server["traceState"] as? String == "congo=t61rcWkgMzE")
        #expect(server["kind"] as? Int == 2)
        #expect(server["flags"] as? Int == 0x301, "sampled, with a remote parent")
        let attributes = try #require(server["attributes"] as? [String: [String: Any]])
        #expect(attributes["http.request.method"]?["string"] as? String == "POST")
        #expect(attributes["http.response.status_code"]?["int"] as? Int == 202)
        #expect(attributes["server.duration.ratio"]?["double"] as? Double == 0.75)
        #expect(attributes["order.retried"]?["bool"] as? Bool == false)
        #expect((attributes["order.skus"]?["array"] as? [[String: String]])?.compactMap { $0["string"] } == ["ABC", "DEF"])
        #expect((server["events"] as? [[String: Any]])?.first?["name"] as? String == "claimed")

        let producer = try #require(byName["orders.direct publish"])
        #expect(producer["spanId"] as? String == publish.spanID.hexString)
        #expect(producer["parentSpanId"] as? String == server["spanId"] as? String)
        #expect(producer["kind"] as? Int == 4)
        #expect((producer["status"] as? [String: Any])?["code"] as? Int == 2)
        #expect((producer["status"] as? [String: Any])?["message"] as? String == "nacked")
        let links = try #require(producer["links"] as? [[String: Any]])
        #expect(links.map { $0["traceId"] as? String } == [orderA.context.traceID.hexString, orderB.context.traceID.hexString])
        #expect(links.map { $0["spanId"] as? String } == [orderA.context.spanID.hexString, orderB.context.spanID.hexString])
        #expect(((links[1]["attributes"] as? [String: [String: Any]])?["messaging.batch.index"])?["int"] as? Int == 1)
        let root = try #require(byName["order a"])
        #expect(root["parentSpanId"] as? String == "")
        #expect(root["traceId"] as? String == orderA.context.traceID.hexString)
    }

    @Test func retryAfterInSecondsIsHonoured() async throws {
        let receiver = try OTLPReceiver()
        try await receiver.script([["status": 503, "retry_after": "1"]])
        // A backoff far longer than the export's deadline: only Retry-After lets the retry happen in time.
        let exporter = try exporter(receiver, backoff: Backoff(initial: .seconds(60), maximum: .seconds(60)))
        let result = await exporter.export(someSpans(2), deadline: .now + .seconds(10))
        #expect(result == .success)
        #expect(exporter.retries == 1)
        let requests = try await receiver.requests()
        #expect(requests.map { $0["status"] as? Int } == [503, 200])
        #expect(requests.allSatisfy { $0["valid"] as? Bool == true })
        let gap = (requests[1]["time"] as! Double) - (requests[0]["time"] as! Double)
        #expect(gap >= 0.9, "waited as asked, \(gap) s")
    }

    @Test func retryAfterAsAnHTTPDateIsHonoured() async throws {
        let receiver = try OTLPReceiver()
        // A date has whole seconds. The retry must not come before the date, however late (on a
        // busy machine) the first request came, so what is checked is the retry's time against
        // the date itself, not against the first request.
        let due = (Date().timeIntervalSince1970 + 3).rounded(.down)
        try await receiver.script([["status": 429, "retry_after": Self.httpDate(Date(timeIntervalSince1970: due))]])
        let exporter = try exporter(receiver, backoff: Backoff(initial: .seconds(60), maximum: .seconds(60)))
        #expect(await exporter.export(someSpans(1), deadline: .now + .seconds(10)) == .success)
        let requests = try await receiver.requests()
        #expect(requests.map { $0["status"] as? Int } == [429, 200])
        let retried = try #require(requests[1]["wallTime"] as? Double, "the receiver reports wallTime")
        #expect(retried >= due - 0.05, "waited for the date: retried \(retried - due) s after it")
    }

    @Test func throttlingAndGatewayErrorsAreRetriedWithBackoff() async throws {
        let receiver = try OTLPReceiver()
        try await receiver.script([["status": 429], ["status": 502], ["status": 504], ["status": 503]])
        let exporter = try exporter(receiver)
        #expect(await exporter.export(someSpans(1), deadline: .now + .seconds(10)) == .success)
        #expect(exporter.retries == 4)
        #expect(try await receiver.requests().map { $0["status"] as? Int } == [429, 502, 504, 503, 200])
    }

    @Test func otherStatusesAreNotRetried() async throws {
        let receiver = try OTLPReceiver()
        try await receiver.script([["status": 400], ["status": 500]])
        let exporter = try exporter(receiver)
        #expect(await exporter.export(someSpans(1), deadline: .now + .seconds(10)) == .failure("HTTP 400 (not retryable)"))
        #expect(await exporter.export(someSpans(1), deadline: .now + .seconds(10)) == .failure("HTTP 500 (not retryable)"))
        #expect(try await receiver.requests().count == 2)
        #expect(exporter.retries == 0)
    }

    @Test func aRetryAfterBeyondTheDeadlineGivesUpAtOnce() async throws {
        let receiver = try OTLPReceiver()
        try await receiver.script([["status": 503, "retry_after": "120"]])
        let exporter = try exporter(receiver)
        let started = ContinuousClock.now
        let result = await exporter.export(someSpans(1), deadline: .now + .seconds(5))
        #expect(result != .success)
        #expect(ContinuousClock.now - started < .seconds(4), "did not sleep towards a wait it cannot finish")
        #expect(try await receiver.requests().count == 1)
    }

    @Test func aSlowReceiverTimesTheRequestOut() async throws {
        let receiver = try OTLPReceiver()
        // More slow answers than attempts fit in the deadline: each attempt times out.
        // The deadline leaves room for a second attempt even when a parallel test run delays
        // the first; the answers come long after it.
        try await receiver.script(Array(repeating: ["status": 200, "delay": 6], count: 8))
        let exporter = try exporter(receiver, timeout: .milliseconds(300))
        let started = ContinuousClock.now
        let result = await exporter.export(someSpans(1), deadline: .now + .seconds(2))
        let elapsed = ContinuousClock.now - started
        #expect(result != .success)
        #expect(elapsed < .milliseconds(4500), "the request timeouts ended the wait before the 6 s answer, after \(elapsed)")
        if case .failure(let reason) = result { #expect(reason.contains("timed out"), "\(reason)") }
        // The exporter retried after the timeout. Each attempt's request is in the receiver's
        // socket once written, but a busy machine may leave the receiver reading it after the
        // export gave up: wait for the first, then the receiver has seen at most every attempt.
        #expect(exporter.retries >= 1, "timeouts are retried until the deadline")
        try await eventually("the receiver to record the first attempt") { try await receiver.requests().count >= 1 }
        let attempts = try await receiver.requests().count
        #expect(attempts <= exporter.retries + 1, "\(attempts) requests for \(exporter.retries) retries")
        // A timed-out connection is not reused: once the receiver answers promptly, a later
        // export works on a new connection.
        try await receiver.reset()
        #expect(await exporter.export(someSpans(1), deadline: .now + .seconds(10)) == .success)
    }

    @Test func exportsReuseTheConnection() async throws {
        let receiver = try OTLPReceiver()
        let exporter = try exporter(receiver)
        #expect(await exporter.export(someSpans(1), deadline: .now + .seconds(5)) == .success)
        #expect(await exporter.export(someSpans(1), deadline: .now + .seconds(5)) == .success)
        let ports = try await receiver.requests().map { $0["clientPort"] as? Int }
        #expect(ports.count == 2 && ports[0] == ports[1], "one kept-alive connection: \(ports)")
    }

    @Test func shutdownFlushesToTheReceiver() async throws {
        let receiver = try OTLPReceiver()
        let processor = BatchSpanProcessor(exporter: try exporter(receiver), configuration: .init(maxExportBatchSize: 100, scheduleDelay: .seconds(60)))
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        let run = Task { await processor.run() }
        for index in 0..<3 { tracer.startSpan("flushed \(index)", parent: nil).end() }
        run.cancel()
        await run.value
        #expect(processor.statistics.exported == 3)
        #expect(try await receiver.spans().compactMap { $0["name"] as? String } == ["flushed 0", "flushed 1", "flushed 2"])
    }

    @Test func aFullQueueDropsAndTheRestIsExported() async throws {
        let receiver = try OTLPReceiver()
        let processor = BatchSpanProcessor(exporter: try exporter(receiver), configuration: .init(maxQueueSize: 5, maxExportBatchSize: 5, scheduleDelay: .seconds(60)))
        let tracer = Tracer(sampler: .alwaysOn, processor: processor)
        for index in 0..<12 { tracer.startSpan("span \(index)", parent: nil).end() }
        #expect(processor.statistics.dropped == 7)
        let run = Task { await processor.run() }
        // A full batch goes without waiting for the delay.
        try await eventually("the full batch's export") { processor.statistics.exported == 5 }
        run.cancel()
        await run.value
        #expect(try await receiver.spans().count == 5)
        #expect(processor.statistics == .init(exported: 5, dropped: 7, failed: 0, queued: 0))
    }

    @Test func theProviderExportsWhatTheEnvironmentConfigures() async throws {
        let receiver = try OTLPReceiver()
        let configuration = TracingConfiguration(environment: [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": try receiver.tracesEndpoint.description,
            "OTEL_SERVICE_NAME": "order-processor", "OTEL_TRACES_SAMPLER": "always_on", "OTEL_BSP_SCHEDULE_DELAY": "60000",
        ], defaultServiceName: "unused")
        let provider = TracerProvider(configuration: configuration)
        let run = Task { await provider.run() }
        provider.tracer(scope: "processor").startSpan("decide", kind: .consumer, parent: nil).end()
        run.cancel()
        await run.value
        let request = try #require(try await receiver.requests().first)
        #expect(request["valid"] as? Bool == true)
        let resource = ((request["request"] as? [String: Any])?["resourceSpans"] as? [[String: Any]])?.first?["resource"] as? [String: [String: Any]]
        #expect(resource?["service.name"]?["string"] as? String == "order-processor")
        #expect(try await receiver.spans().first?["kind"] as? Int == 5)
    }

    /// An IMF-fixdate `seconds` from now.
    private static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
