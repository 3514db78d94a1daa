import Foundation
@testable import Services
import Synchronization
import Testing
import Tracing

/// The log lines: one JSON object each, the head first, typed fields, the current span's ids.
@Suite struct JSONLoggerTests {
    /// A logger for `service` and the lines it wrote.
    private func logger(_ service: String = "order-gateway") -> (JSONLogger, @Sendable () -> [String]) {
        let lines = Mutex<[String]>([])
        return (JSONLogger(service: service, sink: { line in lines.withLock { $0.append(line) } }), { lines.withLock { $0 } })
    }

    private func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func linesAreJSONObjectsWithTheHeadFirstAndTheFieldsInTheOrderGiven() throws {
        let (logger, lines) = logger()
        logger.info("order accepted", ["order_id": "o-1", "b_key": "2", "a_key": "1"])
        logger.log(.debug, "hidden")
        #expect(lines().count == 1)
        let line = try #require(lines().first)
        #expect(line.hasSuffix("}\n") && !line.dropLast().contains("\n"))
        let fields = try object(line)
        #expect(fields["msg"] as? String == "order accepted" && fields["service"] as? String == "order-gateway" && fields["level"] as? String == "info")
        #expect((fields["ts"] as? String)?.hasSuffix("Z") == true)
        let keys = ["\"ts\"", "\"level\"", "\"service\"", "\"msg\"", "\"order_id\"", "\"b_key\"", "\"a_key\""]
        let positions = try keys.map { key in try #require(line.range(of: key)).lowerBound }
        #expect(positions == positions.sorted())
    }

    @Test func numbersAndBooleansAreWrittenAsJSONNumbersAndBooleans() throws {
        let (logger, lines) = logger()
        let count = 3
        logger.warning("typed", ["count": .int(count), "literal": 7, "ratio": 0.25, "nan": .double(.nan), "replayed": true, "text": "\(count) left"])
        let line = try #require(lines().first)
        #expect(line.contains(#""count":3,"literal":7,"ratio":0.25,"nan":"nan","replayed":true,"text":"3 left""#))
        let fields = try object(line)
        #expect(fields["count"] as? Int == 3 && fields["replayed"] as? Bool == true && fields["ratio"] as? Double == 0.25)
    }

    @Test func textIsEscaped() throws {
        let (logger, lines) = logger()
        let awkward = "say \"hi\"\\ a/b\n\r\t\u{1}\u{1F} é ✓"
        logger.info("sent", ["text": .string(awkward)])
        let line = try #require(lines().first)
        #expect(!line.dropLast().contains("\n") && line.contains("a/b") && line.contains("\\u0001") && line.contains("\\u001f"))
        #expect(try object(line)["text"] as? String == awkward)
    }

    @Test func aLineWrittenInASpanCarriesItsTraceAndSpanIDs() throws {
        let (logger, lines) = logger()
        logger.info("outside")
        let span = Tracer(sampler: .alwaysOn, processor: nil).startSpan("work", parent: nil)
        Span.$current.withValue(span) { logger.info("inside") }
        let written = lines()
        let outside = try object(written[0]), inside = try object(written[1])
        #expect(outside["trace_id"] == nil && outside["span_id"] == nil)
        #expect(inside["trace_id"] as? String == span.context.traceID.hexString && inside["span_id"] as? String == span.context.spanID.hexString)
        #expect(written[1].range(of: "\"msg\"")!.lowerBound < written[1].range(of: "\"trace_id\"")!.lowerBound)
    }

    @Test func aNamedLoggerWritesUnderItsRolesServiceName() throws {
        let (logger, lines) = logger("order-pipeline")
        logger.named(ServiceRole.notifier.serviceName).info("one")
        logger.info("two")
        #expect(try lines().map { try object($0)["service"] as? String } == ["order-notifier", "order-pipeline"])
        #expect(PipelineApp.processName([.gateway]) == "order-gateway" && PipelineApp.processName(ServiceRole.allCases) == "order-pipeline")
        #expect(PipelineApp.processName([.processor, .notifier]) == "order-processor+notifier")
    }

    @Test func theLoggingSenderMasksTheAddressAndLeavesItOutWhenThereIsNone() async throws {
        let (logger, lines) = logger("order-notifier")
        let sender = LoggingSender(logger: logger, latency: .zero)
        try await sender.send(Notification(orderID: "o-1", email: "someone@example.com", message: "Order o-1 confirmed: 2 x ABC"))
        try await sender.send(Notification(orderID: "o-2", email: nil, message: "Order o-2 rejected: unknown_sku"))
        let written = lines()
        let first = try object(written[0]), second = try object(written[1])
        #expect(first["to"] as? String == "s***@e***.com" && first["text"] as? String == "Order o-1 confirmed: 2 x ABC")
        #expect(second["to"] == nil && second["order_id"] as? String == "o-2")
        #expect(written.allSatisfy { !$0.contains("\"message\"") && !$0.contains("someone") && !$0.contains("example") })
    }

    @Test(arguments: [
        ("me@example.com", "m***@e***.com"), ("a.b+c@mail.example.org", "a***@m***.org"), ("x@localhost", "x***@l***"), ("@x.io", "***@x***.io"),
        ("no-at-sign", "n***"),
    ])
    func emailAddressesAreMasked(address: String, masked: String) {
        #expect(PersonalData.maskedEmail(address) == masked)
    }
}
