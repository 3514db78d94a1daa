/// What identifies a span to others: its trace, its own id, the trace flags and the trace state;
/// the part of a span that travels in `traceparent` and `tracestate` and that logs print.
public struct SpanContext: Sendable, Hashable {
    public let traceID: TraceID
    public let spanID: SpanID
    public let flags: TraceFlags
    public let traceState: TraceState
    /// Whether the context came from another process (extracted from a message) rather than
    /// from a span of this one.
    public let isRemote: Bool

    /// A context with these parts.
    public init(traceID: TraceID, spanID: SpanID, flags: TraceFlags, traceState: TraceState = TraceState(), isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
        self.traceState = traceState
        self.isRemote = isRemote
    }

    /// Whether both ids are valid; an invalid context is no parent and is never propagated.
    public var isValid: Bool { traceID.isValid && spanID.isValid }

    /// Whether the trace is sampled.
    public var isSampled: Bool { flags.contains(.sampled) }

    /// The invalid context: what a span of disabled tracing without a parent carries.
    public static let invalid = SpanContext(traceID: .invalid, spanID: .invalid, flags: [])

    /// `trace_id` and `span_id` as hex, for a log line to name the span it was written in;
    /// empty for an invalid context. `Span.current?.context.logFields` in a handler.
    public var logFields: [String: String] {
        guard isValid else { return [:] }
        return ["trace_id": traceID.hexString, "span_id": spanID.hexString]
    }
}

extension SpanContext {
    /// The header name of the parent context.
    public static let traceparentHeader = "traceparent"
    /// The header name of the vendor state.
    public static let tracestateHeader = "tracestate"

    /// The remote parent a message carries in its `traceparent` and `tracestate` field values
    /// (all fields of each name, in order; names are matched case-insensitively by the caller).
    ///
    /// Nil when there is no valid parent, which starts a new trace: `traceparent` absent,
    /// repeated, or malformed (W3C Trace Context level 1, with its rules for later versions). A
    /// malformed `tracestate` is dropped without affecting `traceparent`.
    public init?(traceparent: some Collection<some StringProtocol>, tracestate: some Sequence<some StringProtocol>) {
        guard traceparent.count == 1, let parsed = Self.parseTraceparent(traceparent.first!) else { return nil }
        self.init(
            traceID: parsed.traceID, spanID: parsed.spanID, flags: parsed.flags,
            traceState: TraceState(headerValues: tracestate) ?? TraceState(), isRemote: true)
    }

    /// The remote parent of one `traceparent` value and an optional `tracestate` value; see
    /// `init(traceparent:tracestate:)`.
    public init?(traceparent: String, tracestate: String? = nil) {
        self.init(traceparent: CollectionOfOne(traceparent), tracestate: tracestate.map { [$0] } ?? [])
    }

    /// This context as a `traceparent` value: version 00, and of the flags only `sampled`.
    public var traceparent: String {
        String(unsafeUninitializedCapacity: 55) { buffer in
            buffer[0] = UInt8(ascii: "0")
            buffer[1] = UInt8(ascii: "0")
            buffer[2] = UInt8(ascii: "-")
            writeLowercaseHex(traceID.high, into: buffer, at: 3)
            writeLowercaseHex(traceID.low, into: buffer, at: 19)
            buffer[35] = UInt8(ascii: "-")
            writeLowercaseHex(spanID.value, into: buffer, at: 36)
            buffer[52] = UInt8(ascii: "-")
            buffer[53] = UInt8(ascii: "0")
            buffer[54] = isSampled ? UInt8(ascii: "1") : UInt8(ascii: "0")
            return 55
        }
    }

    /// The `tracestate` value to send with `traceparent`, nil when there is none.
    public var tracestate: String? { traceState.headerValue }

    /// Parses a `traceparent` value:
    /// `version "-" trace-id "-" parent-id "-" trace-flags`, lowercase hex, surrounded by
    /// optional whitespace. Version 00 has exactly these four fields; version ff is invalid; a
    /// higher version is read as far as 00 defines it and must continue with `-` if longer.
    /// The ids must not be all zeros.
    static func parseTraceparent(_ value: some StringProtocol) -> (traceID: TraceID, spanID: SpanID, flags: TraceFlags)? {
        var text = String(value.trimmingOWS())
        return text.withUTF8 { utf8 -> (traceID: TraceID, spanID: SpanID, flags: TraceFlags)? in
            guard utf8.count >= 55, utf8[2] == UInt8(ascii: "-"), let version = parseLowercaseHex(utf8, 0, 2), version != 0xFF else { return nil }
            if version == 0 {
                guard utf8.count == 55 else { return nil }
            } else if utf8.count > 55 {
                guard utf8[55] == UInt8(ascii: "-") else { return nil }
            }
            guard let high = parseLowercaseHex(utf8, 3, 16), let low = parseLowercaseHex(utf8, 19, 16),
                  utf8[35] == UInt8(ascii: "-"), let span = parseLowercaseHex(utf8, 36, 16),
                  utf8[52] == UInt8(ascii: "-"), let flags = parseLowercaseHex(utf8, 53, 2)
            else { return nil }
            let traceID = TraceID(high: high, low: low)
            guard traceID.isValid, span != 0 else { return nil }
            return (traceID, SpanID(span), TraceFlags(rawValue: UInt8(flags)))
        }
    }
}
