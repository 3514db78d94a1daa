import AMQP091
import Bytes
import Tracing

/// `MessageTrace` in AMQP message headers: the message's own context as W3C Trace Context's
/// `traceparent` and `tracestate` (the names the W3C draft for AMQP and other clients use), and
/// the per-document contexts as two field arrays aligned with the body's documents:
/// `x-order-traceparents` (one `traceparent` per document, an empty string for a document
/// without one) and `x-order-tracestates` (likewise, present only when some document has a
/// `tracestate`). Arrays rather than a table keyed by order id: order ids are free text that
/// AMQP field names need not accept, and position is what both ends know.
///
/// Reading is lenient as W3C Trace Context asks: a malformed value is a missing one, never an
/// error; arrays of another length than the body are read as far as they go.
enum TraceHeaders {
    static let traceparent = SpanContext.traceparentHeader
    static let tracestate = SpanContext.tracestateHeader
    static let documentTraceparents = "x-order-traceparents"
    static let documentTracestates = "x-order-tracestates"

    /// `trace` written into `headers`; nothing is added for a trace without a valid context.
    static func write(_ trace: MessageTrace, into headers: inout FieldTable) {
        if let message = trace.message, message.isValid {
            headers[traceparent] = .longString(ByteBuffer(string: message.traceparent))
            if let state = message.tracestate { headers[tracestate] = .longString(ByteBuffer(string: state)) }
        }
        guard trace.documents.contains(where: { $0?.isValid == true }) else { return }
        let valid = trace.documents.map { $0.flatMap { $0.isValid ? $0 : nil } }
        headers[documentTraceparents] = .array(valid.map { .longString(ByteBuffer(string: $0?.traceparent ?? "")) })
        if valid.contains(where: { $0?.tracestate != nil }) {
            headers[documentTracestates] = .array(valid.map { .longString(ByteBuffer(string: $0?.tracestate ?? "")) })
        }
    }

    /// The trace `headers` carry; `.none` when they carry none.
    static func read(_ headers: FieldTable?) -> MessageTrace {
        guard let headers, !headers.isEmpty else { return .none }
        var trace = MessageTrace()
        if let parent = string(headers[traceparent]) {
            trace.message = SpanContext(traceparent: parent, tracestate: string(headers[tracestate]))
        }
        if case .array(let parents) = headers[documentTraceparents] {
            var states: [FieldValue] = []
            if case .array(let values) = headers[documentTracestates] { states = values }
            trace.documents = parents.indices.map { index in
                string(parents[index]).flatMap { SpanContext(traceparent: $0, tracestate: states.indices.contains(index) ? string(states[index]) : nil) }
            }
        }
        return trace
    }

    /// A long string's text; nil for another type or an empty string.
    private static func string(_ value: FieldValue?) -> String? {
        guard case .longString(let buffer) = value, buffer.readableBytes > 0 else { return nil }
        return buffer.description
    }
}
