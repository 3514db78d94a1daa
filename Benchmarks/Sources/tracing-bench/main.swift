// The cost of tracing on a request's path: nanoseconds per span for a span the sampler drops,
// one it records, one of disabled tracing, each with the attributes a request span sets, and
// the OTLP JSON encoding of a batch. Run by scripts/bench/tracing.sh; prints one line per case.
import CommandLineOptions
import Glibc
import Synchronization
import Tracing
import Transport

/// Counts ended spans and drops them: measures the span API without any export.
final class CountingProcessor: SpanProcessor {
    let count = Atomic<Int>(0)
    func onEnd(_ span: FinishedSpan) { count.add(1, ordering: .relaxed) }
}

/// Accepts every batch at once: measures the batch processor's queue without a network.
final class DiscardingExporter: SpanExporter {
    func export(_ spans: [FinishedSpan], deadline: ContinuousClock.Instant) async -> SpanExportResult { .success }
    func shutdown() async {}
}

let syntax = CommandSyntax(
    "tracing-bench", summary: "nanoseconds per request span (disabled, dropped, recorded) and per span of OTLP JSON encoding",
    arguments: [.init("SPANS", "spans per round (default 200000)", optional: true),
                .init("ONLY", "run only the cases whose name contains this text", optional: true)])
let parsed = syntax.parseOrExit()
let iterations: Int
do { iterations = try parsed.intArgument(0, default: 200_000, in: 1...Int.max) } catch { syntax.fail(error) }
let rounds = 5
let only = parsed.arguments.dropFirst().first ?? ""

/// Runs `body` `iterations` times per round and prints the best and median ns per iteration.
func measure(_ name: String, _ body: () -> Void) {
    guard only.isEmpty || name.contains(only) else { return }
    var results: [Double] = []
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        for _ in 0..<iterations { body() }
        let elapsed = ContinuousClock.now - start
        results.append(Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
    }
    let perIteration = results.map { $0 / Double(iterations) }.sorted()
    print("\(name): best \(format(perIteration[0])) ns, median \(format(perIteration[rounds / 2])) ns per span")
}

/// Tenths of a nanosecond are as precise as these figures get.
func format(_ value: Double) -> String {
    "\((value * 10).rounded() / 10)"
}

/// A server span as the gateway would make one: four attributes, one event, ended.
@inline(never)
func requestSpan(_ tracer: Tracer, parent: SpanContext?) {
    let span = tracer.startSpan("POST /orders", kind: .server, parent: parent)
    span.setAttribute("http.request.method", "POST")
    span.setAttribute("url.path", "/orders")
    span.setAttribute("http.response.status_code", 202)
    span.setAttribute("server.port", 8080)
    span.addEvent("claimed")
    span.end()
}

let counting = CountingProcessor()
let remoteUnsampled = SpanContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
let remoteSampled = SpanContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")

print("tracing-bench: \(iterations) spans per round, \(rounds) rounds")
var generator = SystemRandomNumberGenerator()
measure("one id of 8 bytes from SystemRandomNumberGenerator (for scale)") { _ = SpanID.random(using: &generator) }
measure("disabled (OTEL_SDK_DISABLED)") { requestSpan(.disabled, parent: remoteSampled) }
let dropping = Tracer(sampler: .alwaysOff, processor: counting)
measure("unsampled root (always_off: trace and span id drawn)") { requestSpan(dropping, parent: nil) }
let unsampling = Tracer(sampler: .parentBased(root: .alwaysOn), processor: counting)
measure("unsampled child of a remote parent (span id drawn)") { requestSpan(unsampling, parent: remoteUnsampled) }
let ratio = Tracer(sampler: .parentBased(root: .traceIDRatio(0)), processor: counting)
measure("unsampled root (parentbased_traceidratio 0)") { requestSpan(ratio, parent: nil) }
let sampling = Tracer(sampler: .alwaysOn, processor: counting)
measure("sampled, recorded, handed to a counting processor") { requestSpan(sampling, parent: remoteSampled) }

let batch = BatchSpanProcessor(exporter: DiscardingExporter(), configuration: .init(maxQueueSize: 1 << 20, maxExportBatchSize: 512, scheduleDelay: .milliseconds(100)))
let exporting = Tracer(sampler: .alwaysOn, processor: batch)
let runner = Task { await batch.run() }
measure("sampled, queued in the batch processor (exported concurrently)") { requestSpan(exporting, parent: remoteSampled) }
runner.cancel()
await runner.value
print("batch processor: \(batch.statistics)")

final class Collector: SpanProcessor {
    let spans = Mutex<[FinishedSpan]>([])
    func onEnd(_ span: FinishedSpan) { spans.withLock { $0.append(span) } }
}
guard only.isEmpty || "OTLP JSON encoding".contains(only) else { exit(0) }
let collected = Collector()
let recording = Tracer(sampler: .alwaysOn, processor: collected)
for _ in 0..<512 { requestSpan(recording, parent: remoteSampled) }
let spans = collected.spans.withLock { $0 }
let encoder = OTLPJSONEncoder(resource: [Attribute("service.name", "order-gateway")])
var encodedBytes = 0
let encodeRounds = max(iterations / 512, 10)
var encodeTimes: [Double] = []
for _ in 0..<rounds {
    let start = ContinuousClock.now
    for _ in 0..<encodeRounds { encodedBytes = encoder.encode(spans).count }
    let elapsed = ContinuousClock.now - start
    encodeTimes.append((Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(encodeRounds * spans.count))
}
encodeTimes.sort()
print("OTLP JSON encoding, batches of 512: best \(format(encodeTimes[0])) ns, median \(format(encodeTimes[rounds / 2])) ns per span (\(encodedBytes / spans.count) bytes per span)")
