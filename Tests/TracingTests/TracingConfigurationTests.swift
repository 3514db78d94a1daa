import HTTPClient
import Testing
@testable import Tracing

@Suite struct TracingConfigurationTests {
    @Test func defaults() {
        let configuration = TracingConfiguration(environment: [:], defaultServiceName: "order-gateway")
        #expect(!configuration.isDisabled)
        #expect(configuration.resource.first == Attribute("service.name", "order-gateway"))
        #expect(configuration.sampler == .parentBased(root: .alwaysOn))
        #expect(configuration.exporter?.endpoint.description == "http://localhost:4318/v1/traces")
        #expect(configuration.exporter?.timeout == .seconds(10))
        #expect(configuration.batch == BatchSpanProcessor.Configuration())
        #expect(configuration.warnings.isEmpty)
    }

    @Test func theStandardVariables() throws {
        let configuration = TracingConfiguration(environment: [
            "OTEL_SERVICE_NAME": "gateway-a",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test, service.name=ignored,team=orders%20team",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.25",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/",
            "OTEL_EXPORTER_OTLP_HEADERS": "api-key=secret%3D1, x-tenant = a%2Cb ,",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
            "OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_BSP_EXPORT_TIMEOUT": "1000",
            "OTEL_BSP_MAX_QUEUE_SIZE": "10", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "20",
        ], defaultServiceName: "order-gateway")
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.resource.prefix(3) == [Attribute("service.name", "gateway-a"), Attribute("deployment.environment", "test"), Attribute("team", "orders team")])
        #expect(configuration.sampler == .parentBased(root: .traceIDRatio(0.25)))
        let exporter = try #require(configuration.exporter)
        #expect(exporter.endpoint.description == "http://collector:4318/v1/traces")
        #expect(exporter.headers.map { [$0.name, $0.value] } == [["api-key", "secret=1"], ["x-tenant", "a,b"]])
        #expect(exporter.timeout == .milliseconds(2500))
        #expect(configuration.batch.scheduleDelay == .milliseconds(100) && configuration.batch.exportTimeout == .seconds(1))
        #expect(configuration.batch.maxQueueSize == 10 && configuration.batch.maxExportBatchSize == 10, "a batch is at most the queue")
    }

    @Test func theTracesEndpointIsUsedAsGiven() {
        let configuration = TracingConfiguration(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:9999/custom/path",
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "700", "OTEL_EXPORTER_OTLP_TIMEOUT": "9000",
        ], defaultServiceName: "s")
        #expect(configuration.exporter?.endpoint.description == "http://collector:9999/custom/path")
        #expect(configuration.exporter?.timeout == .milliseconds(700))
    }

    @Test func everySamplerName() {
        let names: [String: Sampler] = [
            "always_on": .alwaysOn, "always_off": .alwaysOff, "traceidratio": .traceIDRatio(0.5),
            "parentbased_always_on": .parentBased(root: .alwaysOn), "parentbased_always_off": .parentBased(root: .alwaysOff),
            "parentbased_traceidratio": .parentBased(root: .traceIDRatio(0.5)),
        ]
        for (name, sampler) in names {
            let configuration = TracingConfiguration(environment: ["OTEL_TRACES_SAMPLER": name, "OTEL_TRACES_SAMPLER_ARG": "0.5"], defaultServiceName: "s")
            #expect(configuration.sampler == sampler, "\(name)")
        }
    }

    @Test func unusableValuesAreIgnoredWithAWarning() {
        let configuration = TracingConfiguration(environment: [
            "OTEL_TRACES_SAMPLER": "jaeger_remote", "OTEL_TRACES_SAMPLER_ARG": "1.5",
            "OTEL_EXPORTER_OTLP_HEADERS": "novalue", "OTEL_EXPORTER_OTLP_TIMEOUT": "soon",
            "OTEL_BSP_MAX_QUEUE_SIZE": "-1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        ], defaultServiceName: "s")
        #expect(configuration.sampler == .parentBased(root: .alwaysOn))
        #expect(configuration.exporter?.headers.isEmpty == true)
        #expect(configuration.exporter?.timeout == .seconds(10))
        #expect(configuration.batch.maxQueueSize == 2048)
        #expect(configuration.warnings.count == 6, "\(configuration.warnings)")
        let ratio = TracingConfiguration(environment: ["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "x"], defaultServiceName: "s")
        #expect(ratio.sampler == .traceIDRatio(1))
    }

    @Test func disabledAndUnusableEndpoints() {
        let disabled = TracingConfiguration(environment: ["OTEL_SDK_DISABLED": "TRUE"], defaultServiceName: "s")
        #expect(disabled.isDisabled && disabled.exporter == nil)
        #expect(TracerProvider(configuration: disabled).tracer(scope: "s").isDisabled)
        let https = TracingConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4318"], defaultServiceName: "s")
        #expect(https.isDisabled && https.warnings.count == 1)
        let notDisabled = TracingConfiguration(environment: ["OTEL_SDK_DISABLED": "yes"], defaultServiceName: "s")
        #expect(!notDisabled.isDisabled, "only true disables")
    }

    @Test func retryAfterInBothForms() {
        #expect(RetryAfter.delay("120", nowUnixSeconds: 0) == .seconds(120))
        #expect(RetryAfter.delay(" 0 ", nowUnixSeconds: 0) == .zero)
        // 1994-11-06 08:49:37 UTC is 784111777.
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixSeconds: 784_111_770) == .seconds(7))
        #expect(RetryAfter.delay("Sunday, 06-Nov-94 08:49:37 GMT", nowUnixSeconds: 784_111_770) == .seconds(7))
        #expect(RetryAfter.delay("Sun Nov  6 08:49:37 1994", nowUnixSeconds: 784_111_770) == .seconds(7))
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixSeconds: 784_111_800) == .zero, "a date in the past")
        for bad in ["", "-1", "1.5", "soon", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT"] {
            #expect(RetryAfter.delay(bad, nowUnixSeconds: 0) == nil, "\(bad.debugDescription)")
        }
    }
}
