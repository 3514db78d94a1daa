import Bytes
import HTTPClient

/// Tracing settings read from the standard OpenTelemetry environment variables.
///
/// | Variable | Default | Meaning |
/// | --- | --- | --- |
/// | `OTEL_SDK_DISABLED` | `false` | `true` turns tracing off: no spans, ids or exports |
/// | `OTEL_SERVICE_NAME` | the service's own name | the `service.name` resource attribute |
/// | `OTEL_RESOURCE_ATTRIBUTES` | | more resource attributes, `key=value,...` percent-encoded |
/// | `OTEL_TRACES_SAMPLER` | `parentbased_always_on` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio` |
/// | `OTEL_TRACES_SAMPLER_ARG` | `1.0` | the ratio of the `traceidratio` samplers, 0 to 1 |
/// | `OTEL_EXPORTER_OTLP_ENDPOINT` | `http://localhost:4318` | base URL; traces go to its `/v1/traces` |
/// | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | | the traces URL itself, used as given |
/// | `OTEL_EXPORTER_OTLP_HEADERS`, `..._TRACES_HEADERS` | | request fields, `key=value,...` percent-encoded |
/// | `OTEL_EXPORTER_OTLP_TIMEOUT`, `..._TRACES_TIMEOUT` | 10000 | milliseconds one export request may take |
/// | `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT`, `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | 5000, 30000, 2048, 512 | the batch span processor |
///
/// A value that cannot be used is ignored with a warning (the default applies), as the
/// specification asks; an endpoint that is not `http://` disables tracing with a warning, as
/// this exporter speaks only OTLP/HTTP in JSON without TLS.
public struct TracingConfiguration: Sendable {
    /// Whether tracing is off.
    public var isDisabled: Bool
    /// The resource attributes, `service.name` first.
    public var resource: [Attribute]
    public var sampler: Sampler
    /// Where spans go; nil when tracing is disabled.
    public var exporter: OTLPExporterConfiguration?
    public var batch: BatchSpanProcessor.Configuration
    /// What was ignored in the environment and why, for the service to log.
    public var warnings: [String]

    /// The configuration the environment describes.
    /// - Parameter defaultServiceName: `service.name` when `OTEL_SERVICE_NAME` is unset.
    public init(environment: [String: String], defaultServiceName: String) {
        var warnings: [String] = []
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingOWS(), !raw.isEmpty else { return nil }
            return String(raw)
        }
        func milliseconds(_ name: String, default fallback: Int) -> Duration {
            guard let text = value(name) else { return .milliseconds(fallback) }
            guard let number = Int(text), number > 0 else {
                warnings.append("\(name)=\(text) is not a positive number of milliseconds; using \(fallback)")
                return .milliseconds(fallback)
            }
            return .milliseconds(number)
        }
        func count(_ name: String, default fallback: Int) -> Int {
            guard let text = value(name) else { return fallback }
            guard let number = Int(text), number > 0 else {
                warnings.append("\(name)=\(text) is not a positive number; using \(fallback)")
                return fallback
            }
            return number
        }

        isDisabled = value("OTEL_SDK_DISABLED")?.lowercased() == "true"

        var resource: [Attribute] = []
        if let text = value("OTEL_RESOURCE_ATTRIBUTES") {
            switch KeyValueList.parse(text) {
            case .success(let pairs): resource = pairs.map { Attribute($0.key, .string($0.value)) }
            case .failure(let problem): warnings.append("OTEL_RESOURCE_ATTRIBUTES ignored: \(problem)")
            }
        }
        // OTEL_SERVICE_NAME wins over a service.name among the resource attributes.
        let fromAttributes = resource.first { $0.key == "service.name" }.flatMap { attribute -> String? in
            if case .string(let name) = attribute.value { return name }
            return nil
        }
        resource.removeAll { $0.key == "service.name" }
        let serviceName = value("OTEL_SERVICE_NAME") ?? fromAttributes ?? defaultServiceName
        resource.insert(Attribute("service.name", .string(serviceName)), at: 0)
        resource.append(Attribute("telemetry.sdk.name", "order-pipeline"))
        resource.append(Attribute("telemetry.sdk.language", "swift"))
        self.resource = resource

        let ratio: Double = {
            guard let text = value("OTEL_TRACES_SAMPLER_ARG") else { return 1 }
            guard let ratio = Double(text), (0...1).contains(ratio) else {
                warnings.append("OTEL_TRACES_SAMPLER_ARG=\(text) is not a ratio from 0 to 1; using 1.0")
                return 1
            }
            return ratio
        }()
        switch value("OTEL_TRACES_SAMPLER") ?? "parentbased_always_on" {
        case "always_on": sampler = .alwaysOn
        case "always_off": sampler = .alwaysOff
        case "traceidratio": sampler = .traceIDRatio(ratio)
        case "parentbased_always_on": sampler = .parentBased(root: .alwaysOn)
        case "parentbased_always_off": sampler = .parentBased(root: .alwaysOff)
        case "parentbased_traceidratio": sampler = .parentBased(root: .traceIDRatio(ratio))
        case let other:
            warnings.append("OTEL_TRACES_SAMPLER=\(other) is not supported; using parentbased_always_on")
            sampler = .parentBased(root: .alwaysOn)
        }

        var headers = HTTPFields()
        for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
            guard let text = value(name) else { continue }
            switch KeyValueList.parse(text) {
            case .success(let pairs): for pair in pairs { headers.append(name: pair.key, value: pair.value) }
            case .failure(let problem): warnings.append("\(name) ignored: \(problem)")
            }
        }
        let timeout = value("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") != nil
            ? milliseconds("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", default: 10_000)
            : milliseconds("OTEL_EXPORTER_OTLP_TIMEOUT", default: 10_000)
        let url: String
        if let traces = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            url = traces
        } else {
            let base = value("OTEL_EXPORTER_OTLP_ENDPOINT") ?? "http://localhost:4318"
            url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v1/traces"
        }
        if let protocolName = value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? value("OTEL_EXPORTER_OTLP_PROTOCOL"), protocolName != "http/json" {
            warnings.append("OTLP protocol \(protocolName) is not supported; spans are sent as http/json")
        }
        exporter = nil
        if !isDisabled {
            do {
                exporter = OTLPExporterConfiguration(endpoint: try HTTPEndpoint(url: url), headers: headers, timeout: timeout)
            } catch {
                warnings.append("tracing disabled: OTLP endpoint \(error)")
                isDisabled = true
            }
        }
        batch = BatchSpanProcessor.Configuration(
            maxQueueSize: count("OTEL_BSP_MAX_QUEUE_SIZE", default: 2048),
            maxExportBatchSize: count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", default: 512),
            scheduleDelay: milliseconds("OTEL_BSP_SCHEDULE_DELAY", default: 5000),
            exportTimeout: milliseconds("OTEL_BSP_EXPORT_TIMEOUT", default: 30_000))
        self.warnings = warnings
    }
}

/// The `key=value,key2=value2` lists of `OTEL_EXPORTER_OTLP_HEADERS` and
/// `OTEL_RESOURCE_ATTRIBUTES` (the W3C Baggage format without properties): whitespace around
/// members, keys and values is dropped, values (and keys) are percent-decoded.
enum KeyValueList {
    static func parse(_ text: String) -> Result<[(key: String, value: String)], Problem> {
        var pairs: [(key: String, value: String)] = []
        for member in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = member.trimmingOWS()
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else { return .failure(Problem(description: "member \(String(trimmed).debugDescription) has no '='")) }
            // Properties (`;property`) belong to Baggage, not to these lists: they are not kept.
            let rawValue = trimmed[trimmed.index(after: equals)...].split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            do {
                let key = try PercentEncoding.decode(trimmed[..<equals].trimmingOWS())
                let value = try PercentEncoding.decode(rawValue.trimmingOWS())
                guard !key.isEmpty else { return .failure(Problem(description: "a member has an empty key")) }
                pairs.append((key, value))
            } catch {
                return .failure(Problem(description: "\(error) in \(String(trimmed).debugDescription)"))
            }
        }
        return .success(pairs)
    }

    struct Problem: Error, CustomStringConvertible {
        let description: String
    }
}
