import Dispatch
import Foundation
import JSON
import Synchronization
import Tracing

/// Writes one JSON object per line to standard error:
/// `{"ts","level","service","msg","trace_id","span_id",...fields}`, the head in that order and the
/// fields in the order given. `service` names the role that logged the line (`order-gateway`,
/// say, also in the all-in-one process, whose own lines say `order-pipeline`); `trace_id` and
/// `span_id` are the current span's (`Span.current`), when there is a valid one; fields are typed
/// (`LogValue`), so numbers and booleans are written as JSON numbers and booleans.
public struct JSONLogger: Sendable {
    /// Severity, lowest first.
    public enum Level: String, Sendable, Comparable {
        case debug, info, warning, error

        public static func < (a: Level, b: Level) -> Bool { a.order < b.order }
        private var order: Int { [.debug: 0, .info: 1, .warning: 2, .error: 3][self]! }
    }

    public let service: String
    public let minimum: Level
    private let sink: @Sendable (String) -> Void

    /// A logger for `service` writing lines to `sink` (standard error, written off the caller's
    /// thread, by default).
    public init(service: String, minimum: Level = .info, sink: (@Sendable (String) -> Void)? = nil) {
        self.service = service
        self.minimum = minimum
        self.sink = sink ?? { line in StandardError.shared.write(line) }
    }

    /// The same logger for another service (a role of the process), writing to the same place.
    public func named(_ service: String) -> JSONLogger {
        JSONLogger(service: service, minimum: minimum, sink: sink)
    }

    /// Logs `message` with `fields` when `level` is at least the minimum. The fields must not
    /// reuse the head's keys.
    public func log(_ level: Level, _ message: String, _ fields: LogFields = [:]) {
        guard level >= minimum else { return }
        // Written by hand: JSONSerialization bridges the dictionary and sorts with locale-aware
        // comparison, which made logging a third of the notifier's CPU time under load.
        var writer = JSONWriter(capacity: 160 + 32 * fields.count)
        writer.beginObject()
        writer.field("ts", UTCTimestamp.now())
        writer.field("level", level.rawValue)
        writer.field("service", service)
        writer.field("msg", message)
        if let context = Span.current?.context, context.isValid {
            writer.field("trace_id", context.traceID.hexString)
            writer.field("span_id", context.spanID.hexString)
        }
        for (key, value) in fields {
            switch value {
            case .string(let text): writer.field(key, text)
            case .int(let number): writer.field(key, number)
            case .double(let number) where number.isFinite: writer.field(key, number)
            case .double(let number): writer.field(key, "\(number)")
            case .bool(let flag): writer.field(key, flag)
            }
        }
        writer.endObject()
        sink(String(decoding: writer.bytes, as: UTF8.self) + "\n")
    }

    /// Waits until every line logged so far has been written to standard error; call before exiting.
    public static func flush() async {
        await StandardError.shared.flush()
    }

    public func info(_ message: String, _ fields: LogFields = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: LogFields = [:]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: LogFields = [:]) { log(.error, message, fields) }
}

/// Standard error written by one serial queue, so a slow reader of the stream (a full pipe to a
/// log collector) never blocks a request or delivery handler on the cooperative pool, and whole
/// lines never interleave. Lines logged while a write is pending go out together in the next
/// write; beyond `maxPending` bytes waiting, lines are dropped and the drop is reported.
private final class StandardError: Sendable {
    static let shared = StandardError()

    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
        var scheduled = false
    }

    private let queue = DispatchQueue(label: "order-pipeline.stderr")
    private let maxPending = 4 << 20
    private let pending = Mutex(Pending())

    func write(_ line: String) {
        let schedule = pending.withLock { pending in
            guard pending.bytes.count + line.utf8.count <= maxPending else {
                pending.dropped += 1
                return false
            }
            pending.bytes.append(contentsOf: line.utf8)
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        if schedule { queue.async { self.drain() } }
    }

    /// Writes everything pending in one write.
    private func drain() {
        let (bytes, dropped) = pending.withLock { pending in
            defer { pending = Pending() }
            return (pending.bytes, pending.dropped)
        }
        if dropped > 0 {
            FileHandle.standardError.write(Data("{\"level\":\"warning\",\"msg\":\"log lines dropped\",\"count\":\(dropped)}\n".utf8))
        }
        FileHandle.standardError.write(Data(bytes))
    }

    /// Resumes once the lines logged before it are written (the queue is serial).
    func flush() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async { done.resume() }
        }
    }
}
