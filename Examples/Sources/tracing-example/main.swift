import Foundation
import Tracing

// Configured by the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME,
// OTEL_TRACES_SAMPLER(_ARG), OTEL_EXPORTER_OTLP_HEADERS, OTEL_SDK_DISABLED.
let environment = ProcessInfo.processInfo.environment
let tracing = TracerProvider(configuration: TracingConfiguration(environment: environment, defaultServiceName: "tracing-example"))
for warning in tracing.configuration.warnings { print("tracing: setting ignored: \(warning)") }
let tracer = tracing.tracer(scope: "tracing-example")
await withDiscardingTaskGroup { group in
    group.addTask { await tracing.run() }                // exports in batches; cancelling it flushes
    // A traceparent from an incoming request continues its trace; a malformed one is ignored.
    let parent = environment["TRACEPARENT"].flatMap { SpanContext(traceparent: $0) }
    await tracer.withSpan("POST /orders", kind: .server, parent: parent) { span in
        span.setAttribute("http.request.method", "POST")
        print("tracing: traceparent \(span.context.traceparent)")     // what to send onwards
    }
    group.cancelAll()
}
