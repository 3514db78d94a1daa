import Foundation
import Testing
@testable import Tracing

@Suite struct OTLPJSONEncoderTests {
    static func span(name: String = "POST /orders", scope: String = "gateway", events: [SpanEvent] = [], links: [SpanLink] = [],
                     status: SpanStatus = .unset, attributes: Attributes = Attributes()) -> FinishedSpan {
        FinishedSpan(
            name: name,
            context: SpanContext(traceID: TraceID(hex: "4bf92f3577b34da6a3ce929d0e0e4736")!, spanID: SpanID(hex: "00f067aa0ba902b7")!,
                                 flags: .sampled, traceState: TraceState(headerValue: "congo=t61rcWkgMzE")!),
            parentSpanID: SpanID(hex: "b7ad6b7169203331"), parentIsRemote: true, kind: .server,
            scope: InstrumentationScope(name: scope, version: "1.0"), startTimeUnixNano: 1_700_000_000_000_000_001,
            endTimeUnixNano: 1_700_000_000_123_456_789, attributes: attributes, events: events, droppedEventsCount: 0,
            links: links, droppedLinksCount: 0, status: status)
    }

    @Test func aSpanInTheOTLPJSONEncoding() {
        var attributes = Attributes()
        attributes["http.request.method"] = "POST"
        attributes["http.response.status_code"] = 202
        attributes["retry.ratio"] = 0.5
        attributes["ok"] = true
        attributes["tags"] = .stringArray(["a", "b"])
        attributes["codes"] = .intArray([1, -2])
        attributes["weird"] = .doubleArray([.nan, .infinity, -.infinity])
        attributes["flags"] = .boolArray([false])
        var eventAttributes = Attributes()
        eventAttributes["order.count"] = 3
        let link = SpanLink(SpanContext(traceID: TraceID(high: 0, low: 1), spanID: SpanID(2), flags: [], isRemote: false))
        let span = Self.span(events: [SpanEvent(name: "claimed", timeUnixNano: 1_700_000_000_000_000_002, attributes: eventAttributes)],
                             links: [link], status: .error(description: "broker \"nack\""), attributes: attributes)
        let json = String(decoding: OTLPJSONEncoder(resource: [Attribute("service.name", "order-gateway")]).encode([span]), as: UTF8.self)
        let expected = """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"order-gateway"}}]},\
        "scopeSpans":[{"scope":{"name":"gateway","version":"1.0"},"spans":[{\
        "traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","traceState":"congo=t61rcWkgMzE",\
        "parentSpanId":"b7ad6b7169203331","flags":769,"name":"POST /orders","kind":2,\
        "startTimeUnixNano":"1700000000000000001","endTimeUnixNano":"1700000000123456789","attributes":[\
        {"key":"http.request.method","value":{"stringValue":"POST"}},\
        {"key":"http.response.status_code","value":{"intValue":"202"}},\
        {"key":"retry.ratio","value":{"doubleValue":0.5}},\
        {"key":"ok","value":{"boolValue":true}},\
        {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}}},\
        {"key":"codes","value":{"arrayValue":{"values":[{"intValue":"1"},{"intValue":"-2"}]}}},\
        {"key":"weird","value":{"arrayValue":{"values":[{"doubleValue":"NaN"},{"doubleValue":"Infinity"},{"doubleValue":"-Infinity"}]}}},\
        {"key":"flags","value":{"arrayValue":{"values":[{"boolValue":false}]}}}],\
        "events":[{"timeUnixNano":"1700000000000000002","name":"claimed","attributes":[{"key":"order.count","value":{"intValue":"3"}}]}],\
        "links":[{"traceId":"00000000000000000000000000000001","spanId":"0000000000000002","flags":256}],\
        "status":{"message":"broker \\"nack\\"","code":2}}]}]}]}
        """
        #expect(json == expected)
        #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil, "valid JSON")
    }

    @Test func scopesGroupSpansInTheOrderTheyFirstAppear() throws {
        let spans = [Self.span(name: "a", scope: "gateway"), Self.span(name: "b", scope: "redis"), Self.span(name: "c", scope: "gateway")]
        let bytes = OTLPJSONEncoder(resource: []).encode(spans)
        #expect(OTLPJSONEncoder(resource: []).encode(spans) == bytes, "deterministic")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let scopeSpans = try #require(((document["resourceSpans"] as? [[String: Any]])?.first?["scopeSpans"]) as? [[String: Any]])
        let names = scopeSpans.map { (($0["scope"] as? [String: Any])?["name"] as? String ?? "", ($0["spans"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []) }
        #expect(names.map(\.0) == ["gateway", "redis"])
        #expect(names.map(\.1) == [["a", "c"], ["b"]])
    }
}
