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
        // Written by hand: JSONSerialization bridges the dictionary and sorts with locale-aware
        // comparison, which made logging a third of the notifier's CPU time under load.
        var line = "{"
        for (index, field) in object.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { line += "," }
            Self.appendQuoted(field.key, to: &line)
            line += ":"
            Self.appendQuoted(field.value, to: &line)
        }
        line += "}\n"
        sink(line)
    }

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped.
    private static func appendQuoted(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
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
