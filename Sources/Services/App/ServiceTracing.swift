import Tracing
import Transport

/// The tracing of a process's roles, from the standard OpenTelemetry variables: one tracer
/// provider per role, each reporting as its own service (`service.name` `order-gateway` and so
/// on, unless `OTEL_SERVICE_NAME` names them all), so a trace shows which role did what also
/// when the roles share one process.
///
/// Tracing is off, every tracer the disabled one (no ids, no spans, an incoming context passed
/// through as it is), when no OTLP endpoint is set or `OTEL_SDK_DISABLED` is `true`.
final class ServiceTracing: Sendable {
    private let providers: [ServiceRole: TracerProvider]
    /// What was ignored in the variables, for the log.
    let warnings: [String]

    /// The variables `--help` lists, with their defaults and meanings; `TracingConfiguration`
    /// reads them (and the `OTEL_BSP_*` and `OTEL_EXPORTER_OTLP_TRACES_*` ones).
    static let variables: [(name: String, defaultValue: String, help: String)] = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "none: tracing off", "OTLP/HTTP collector (http://host:4318); spans go to its /v1/traces as JSON"),
        ("OTEL_SERVICE_NAME", "the role: order-gateway, ...", "service.name of the spans"),
        ("OTEL_TRACES_SAMPLER", "parentbased_always_on", "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "1.0", "the ratio of the traceidratio samplers, 0 to 1"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "none", "key=value,... sent with each export (an API key, say)"),
        ("OTEL_SDK_DISABLED", "false", "true turns tracing off whatever the endpoint"),
    ]

    /// Providers for `roles` configured by `variables` (the `OTEL_*` environment), exporting
    /// through `loops`.
    init(roles: [ServiceRole], variables: [String: String], loops: EventLoopGroup) {
        let endpoint = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].contains { !(variables[$0] ?? "").isEmpty }
        guard endpoint else {
            providers = [:]
            warnings = []
            return
        }
        var providers: [ServiceRole: TracerProvider] = [:]
        for role in roles {
            providers[role] = TracerProvider(configuration: TracingConfiguration(environment: variables, defaultServiceName: role.serviceName), group: loops)
        }
        self.providers = providers
        warnings = providers.values.first?.configuration.warnings ?? []
    }

    /// Whether spans are recorded and exported.
    var isEnabled: Bool { providers.values.contains { $0.processor != nil } }

    /// The tracer of `role`; the disabled one when tracing is off.
    func tracer(for role: ServiceRole) -> Tracer {
        providers[role]?.tracer(scope: "order-pipeline") ?? .disabled
    }

    /// Exports until cancelled, then flushes what is queued (within `OTEL_BSP_EXPORT_TIMEOUT`)
    /// and returns. Run it in the service's task group.
    func run() async {
        await withDiscardingTaskGroup { group in
            for provider in providers.values { group.addTask { await provider.run() } }
        }
    }

    /// `role`'s export counts as Prometheus gauges: spans exported, dropped (queue full) and
    /// failed (export gave up); none when tracing is off.
    func gauges(for role: ServiceRole) -> [(name: String, help: String, value: Double)] {
        guard let statistics = providers[role]?.processor?.statistics else { return [] }
        return [
            (name: "tracing_spans_exported", help: "Spans exported to the OTLP collector.", value: Double(statistics.exported)),
            (name: "tracing_spans_dropped", help: "Spans dropped because the export queue was full.", value: Double(statistics.dropped)),
            (name: "tracing_spans_failed", help: "Spans whose export failed after its retries.", value: Double(statistics.failed)),
        ]
    }
}
