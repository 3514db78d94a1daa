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

    /// A logger for `service` writing lines to `sink` (standard error by default).
    public init(service: String, minimum: Level = .info, sink: (@Sendable (String) -> Void)? = nil) {
        self.service = service
        self.minimum = minimum
        self.sink = sink ?? { line in StandardError.write(line) }
    }

    public func log(_ level: Level, _ message: String, _ fields: [String: String] = [:]) {
        guard level >= minimum else { return }
        var object = fields
        object["ts"] = Date().formatted(.iso8601)
        object["level"] = level.rawValue
        object["service"] = service
        object["msg"] = message
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        sink(String(decoding: data, as: UTF8.self) + "\n")
    }

    public func info(_ message: String, _ fields: [String: String] = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [String: String] = [:]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [String: String] = [:]) { log(.error, message, fields) }
}

/// Serialises whole lines onto standard error so concurrent log calls never interleave mid-line.
private enum StandardError {
    private static let lock = Mutex(())

    static func write(_ line: String) {
        lock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }
}
