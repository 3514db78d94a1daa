import Foundation

/// Builds a metrics page in the Prometheus text exposition format, version 0.0.4.
public struct PrometheusText: Sendable {
    /// The Content-Type the format is served with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The kind of a metric family.
    public enum Kind: String, Sendable {
        case counter, gauge
    }

    private var lines: [String] = []

    public init() {}

    /// Adds one metric family with its samples; label values are escaped as the format requires.
    public mutating func add(_ name: String, _ kind: Kind, help: String, samples: [(labels: [(String, String)], value: Double)]) {
        lines.append("# HELP \(name) \(Self.escapeHelp(help))")
        lines.append("# TYPE \(name) \(kind.rawValue)")
        for sample in samples {
            let labels = sample.labels.isEmpty
                ? ""
                : "{" + sample.labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
            lines.append("\(name)\(labels) \(Self.format(sample.value))")
        }
    }

    /// Adds a family with a single unlabelled sample.
    public mutating func add(_ name: String, _ kind: Kind, help: String, value: Double) {
        add(name, kind, help: help, samples: [(labels: [], value: value)])
    }

    /// The page, ending with a newline as the format requires.
    public var text: String { lines.joined(separator: "\n") + "\n" }

    private static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func escapeLabel(_ text: String) -> String {
        escapeHelp(text).replacingOccurrences(of: "\"", with: "\\\"")
    }

    private static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
