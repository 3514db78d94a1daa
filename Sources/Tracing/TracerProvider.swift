import Transport

/// The tracing of one service put together from its configuration: the OTLP exporter, the
/// batch span processor and the tracers that feed it.
///
/// ```swift
/// let tracing = TracerProvider(configuration: TracingConfiguration(environment: env, defaultServiceName: "order-gateway"))
/// for warning in tracing.configuration.warnings { logger.warning(warning) }
/// let tracer = tracing.tracer(scope: "order-gateway")
/// group.addTask { await tracing.run() }   // exports until the group is cancelled, then flushes
/// ```
public final class TracerProvider: Sendable {
    public let configuration: TracingConfiguration
    /// The processor; nil when tracing is disabled.
    public let processor: BatchSpanProcessor?

    public init(configuration: TracingConfiguration, group: EventLoopGroup = .shared) {
        self.configuration = configuration
        if let exporter = configuration.exporter, !configuration.isDisabled {
            processor = BatchSpanProcessor(
                exporter: OTLPHTTPExporter(configuration: exporter, resource: configuration.resource, group: group),
                configuration: configuration.batch, loop: group.next())
        } else {
            processor = nil
        }
    }

    /// A tracer reporting its spans under the instrumentation scope `scope`; the disabled
    /// tracer when tracing is off.
    public func tracer(scope: String, version: String? = nil) -> Tracer {
        guard let processor else { return .disabled }
        return Tracer(sampler: configuration.sampler, processor: processor, scope: InstrumentationScope(name: scope, version: version))
    }

    /// Exports spans until the calling task is cancelled, then flushes and returns. With
    /// tracing disabled it only waits for the cancellation, so a task group treats both alike.
    public func run() async {
        if let processor {
            await processor.run()
            await processor.exporter.shutdown()
        } else {
            let (cancelled, finish) = AsyncStream<Void>.makeStream()
            await withTaskCancellationHandler {
                for await _ in cancelled {}
            } onCancel: {
                finish.finish()
            }
        }
    }
}
