import JSON

/// Encodes finished spans as an OTLP `ExportTraceServiceRequest` in the OTLP/JSON encoding: the
/// proto3 JSON mapping with OTLP's exceptions. Field names are lowerCamelCase; trace and span
/// ids are lowercase hex (not base64); enums (span kind, status code) are integers; 64-bit
/// integers (times, `intValue`) are decimal strings; attribute values are `AnyValue` objects.
///
/// The output is deterministic: one resource, scopes in the order their first span appears,
/// spans, attributes, events and links in the order given; fields that hold their default value
/// (empty strings and lists, zero counts) are left out, as the mapping allows.
public struct OTLPJSONEncoder: Sendable {
    /// The resource's attributes (`service.name` and the rest), written in this order.
    public let resource: [Attribute]

    public init(resource: [Attribute]) {
        self.resource = resource
    }

    /// The request body for `spans`.
    public func encode(_ spans: [FinishedSpan]) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + spans.count * 512)
        writer.beginObject()
        writer.beginArray("resourceSpans")
        writer.beginObject()
        writer.beginObject("resource")
        writeAttributes(resource, droppedCount: 0, to: &writer)
        writer.endObject()
        writer.beginArray("scopeSpans")
        var scopes: [InstrumentationScope] = []
        for span in spans where !scopes.contains(span.scope) { scopes.append(span.scope) }
        for scope in scopes {
            writer.beginObject()
            writer.beginObject("scope")
            writer.field("name", scope.name)
            if let version = scope.version { writer.field("version", version) }
            writer.endObject()
            writer.beginArray("spans")
            for span in spans where span.scope == scope { write(span, to: &writer) }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    private func write(_ span: FinishedSpan, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("traceId", span.context.traceID.hexString)
        writer.field("spanId", span.context.spanID.hexString)
        if let traceState = span.context.tracestate { writer.field("traceState", traceState) }
        if let parent = span.parentSpanID { writer.field("parentSpanId", parent.hexString) }
        writer.field("flags", UInt64(Self.flags(span.context, isRemote: span.parentSpanID == nil ? nil : span.parentIsRemote)))
        writer.field("name", span.name)
        writer.field("kind", span.kind.rawValue)
        writer.field("startTimeUnixNano", quoting: span.startTimeUnixNano)
        writer.field("endTimeUnixNano", quoting: span.endTimeUnixNano)
        writeAttributes(span.attributes.elements, droppedCount: span.attributes.droppedCount, to: &writer)
        if !span.events.isEmpty {
            writer.beginArray("events")
            for event in span.events {
                writer.beginObject()
                writer.field("timeUnixNano", quoting: event.timeUnixNano)
                writer.field("name", event.name)
                writeAttributes(event.attributes.elements, droppedCount: event.attributes.droppedCount, to: &writer)
                writer.endObject()
            }
            writer.endArray()
        }
        if span.droppedEventsCount > 0 { writer.field("droppedEventsCount", span.droppedEventsCount) }
        if !span.links.isEmpty {
            writer.beginArray("links")
            for link in span.links {
                writer.beginObject()
                writer.field("traceId", link.context.traceID.hexString)
                writer.field("spanId", link.context.spanID.hexString)
                if let traceState = link.context.tracestate { writer.field("traceState", traceState) }
                writeAttributes(link.attributes.elements, droppedCount: link.attributes.droppedCount, to: &writer)
                writer.field("flags", UInt64(Self.flags(link.context, isRemote: link.context.isRemote)))
                writer.endObject()
            }
            writer.endArray()
        }
        if span.droppedLinksCount > 0 { writer.field("droppedLinksCount", span.droppedLinksCount) }
        if span.status != .unset {
            writer.beginObject("status")
            if case .error(let description) = span.status, !description.isEmpty { writer.field("message", description) }
            writer.field("code", span.status.code)
            writer.endObject()
        }
        writer.endObject()
    }

    /// OTLP span flags: the W3C trace flags in bits 0-7; bit 8 says whether bit 9 (the parent,
    /// or the linked span, is remote) is known.
    static func flags(_ context: SpanContext, isRemote: Bool?) -> UInt32 {
        var flags = UInt32(context.flags.rawValue)
        if let isRemote { flags |= 0x100 | (isRemote ? 0x200 : 0) }
        return flags
    }

    private func writeAttributes(_ attributes: some Collection<Attribute>, droppedCount: Int, to writer: inout JSONWriter) {
        if !attributes.isEmpty {
            writer.beginArray("attributes")
            for attribute in attributes {
                writer.beginObject()
                writer.field("key", attribute.key)
                writer.beginObject("value")
                Self.writeValue(attribute.value, to: &writer)
                writer.endObject()
                writer.endObject()
            }
            writer.endArray()
        }
        if droppedCount > 0 { writer.field("droppedAttributesCount", droppedCount) }
    }

    /// The fields of an `AnyValue` object for `value`.
    private static func writeValue(_ value: AttributeValue, to writer: inout JSONWriter) {
        switch value {
        case .string(let string): writer.field("stringValue", string)
        case .int(let int): writer.field("intValue", quoting: int)
        case .double(let double): writeDouble(double, named: "doubleValue", to: &writer)
        case .bool(let bool): writer.field("boolValue", bool)
        case .stringArray(let strings): writeArray(strings, to: &writer) { writer, string in writer.field("stringValue", string) }
        case .intArray(let ints): writeArray(ints, to: &writer) { writer, int in writer.field("intValue", quoting: int) }
        case .doubleArray(let doubles): writeArray(doubles, to: &writer) { writer, double in writeDouble(double, named: "doubleValue", to: &writer) }
        case .boolArray(let bools): writeArray(bools, to: &writer) { writer, bool in writer.field("boolValue", bool) }
        }
    }

    /// `"arrayValue":{"values":[{...},...]}`, each element an `AnyValue` object.
    private static func writeArray<Element>(_ elements: [Element], to writer: inout JSONWriter, _ writeElement: (inout JSONWriter, Element) -> Void) {
        writer.beginObject("arrayValue")
        writer.beginArray("values")
        for element in elements {
            writer.beginObject()
            writeElement(&writer, element)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
    }

    /// A double as proto3 JSON writes one: a number, or the strings `NaN`, `Infinity` and
    /// `-Infinity`, which JSON numbers cannot express.
    private static func writeDouble(_ value: Double, named name: String, to writer: inout JSONWriter) {
        if value.isFinite {
            writer.field(name, value)
        } else {
            writer.field(name, value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity")
        }
    }
}
