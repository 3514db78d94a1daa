import Dispatch
import Foundation
import Synchronization

/// Writes one JSON object per line to standard error: `{"ts","level","service","msg",...fields}`.
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

    /// Logs `message` with `fields` when `level` is at least the minimum.
    public func log(_ level: Level, _ message: String, _ fields: [String: String] = [:]) {
        guard level >= minimum else { return }
        var object = fields
        object["ts"] = UTCTimestamp.now()
        object["level"] = level.rawValue
        object["service"] = service
        object["msg"] = message
        // Written by hand: JSONSerialization bridges the dictionary and sorts with locale-aware
        // comparison, which made logging a third of the notifier's CPU time under load.
        var writer = JSONWriter()
        writer.beginObject()
        for (key, value) in object.sorted(by: { $0.key < $1.key }) { writer.field(key, value) }
        writer.endObject()
        sink(String(decoding: writer.bytes, as: UTF8.self) + "\n")
    }

    /// Waits until every line logged so far has been written to standard error; call before exiting.
    public static func flush() async {
        await StandardError.shared.flush()
    }

    public func info(_ message: String, _ fields: [String: String] = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [String: String] = [:]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [String: String] = [:]) { log(.error, message, fields) }
}

/// Standard error written by one serial queue, so a slow reader of the stream (a full pipe to a
/// log collector) never blocks a request or delivery handler on the cooperative pool, and whole
/// lines never interleave. Lines beyond `maxPending` are dropped and the drop is reported.
private final class StandardError: Sendable {
    static let shared = StandardError()

    private let queue = DispatchQueue(label: "order-pipeline.stderr")
    private let maxPending = 10_000
    private let counts = Mutex((pending: 0, dropped: 0))

    func write(_ line: String) {
        let accepted = counts.withLock { counts in
            guard counts.pending < maxPending else {
                counts.dropped += 1
                return false
            }
            counts.pending += 1
            return true
        }
        guard accepted else { return }
        queue.async {
            let dropped = self.counts.withLock { counts in
                counts.pending -= 1
                defer { counts.dropped = 0 }
                return counts.dropped
            }
            if dropped > 0 {
                FileHandle.standardError.write(Data("{\"level\":\"warning\",\"msg\":\"log lines dropped\",\"count\":\"\(dropped)\"}\n".utf8))
            }
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// Resumes once the lines queued before it are written (the queue is serial).
    func flush() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async { done.resume() }
        }
    }
}
