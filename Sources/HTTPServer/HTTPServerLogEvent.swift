extension HTTPServer {
    /// Something the server reports about itself for operators, shaped for a structured log
    /// line: a level, a fixed message and fields. New reports may be added; a logger should
    /// write any it gets.
    ///
    /// ```swift
    /// configuration.log = { event in logger.log(event.level, event.message, event.fields) }
    /// ```
    public struct LogEvent: Sendable, CustomStringConvertible {
        /// How much an operator should care.
        public enum Level: String, Sendable {
            case info, warning, error
        }

        public let level: Level
        /// What happened, e.g. `accept failed`; fixed for each kind of report.
        public let message: String
        /// The details, e.g. `error`, `retry_in_ms`, `failures`.
        public let fields: [String: String]

        public init(level: Level, message: String, fields: [String: String] = [:]) {
            self.level = level
            self.message = message
            self.fields = fields
        }

        /// `warning accept failed error=... failures=3`, fields in name order.
        public var description: String {
            ([level.rawValue, message] + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
        }
    }

    /// Hands `event` to the configured log, if any.
    func report(_ level: LogEvent.Level, _ message: String, _ fields: [String: String] = [:]) {
        configuration.log?(LogEvent(level: level, message: message, fields: fields))
    }
}
