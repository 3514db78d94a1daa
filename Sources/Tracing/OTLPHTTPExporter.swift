import Bytes
import HTTPClient
import Synchronization
import Transport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where and how the OTLP exporter sends spans.
public struct OTLPExporterConfiguration: Sendable, Hashable {
    /// The traces URL, such as `http://collector:4318/v1/traces`.
    public var endpoint: HTTPEndpoint
    /// Extra request fields (`OTEL_EXPORTER_OTLP_HEADERS`), such as an API key.
    public var headers: HTTPFields
    /// Longest time one request may take (`OTEL_EXPORTER_OTLP_TIMEOUT`).
    public var timeout: Duration
    /// Waits between attempts when the server gives no `Retry-After`.
    public var backoff: Backoff

    public init(endpoint: HTTPEndpoint, headers: HTTPFields = HTTPFields(), timeout: Duration = .seconds(10),
                backoff: Backoff = Backoff(initial: .seconds(1), maximum: .seconds(5), multiplier: 1.5, jitter: 0.2)) {
        self.endpoint = endpoint
        self.headers = headers
        self.timeout = timeout
        self.backoff = backoff
    }
}

/// Exports spans with OTLP/HTTP in the JSON encoding: one `POST` of an
/// `ExportTraceServiceRequest` per batch, on a kept-alive connection.
///
/// A request answered 429, 502, 503 or 504, or lost to a network failure or timeout, is sent
/// again after the server's `Retry-After` (seconds or an HTTP date) or else the backoff's next
/// delay, until the export's deadline would pass; any other status fails the export at once,
/// as OTLP/HTTP specifies. Waits are timed by the event loop.
public final class OTLPHTTPExporter: SpanExporter {
    public let configuration: OTLPExporterConfiguration
    private let encoder: OTLPJSONEncoder
    private let client: HTTPClient
    private let group: EventLoopGroup
    private let retryCount = Atomic<Int>(0)

    public init(configuration: OTLPExporterConfiguration, resource: [Attribute], group: EventLoopGroup = .shared) {
        self.configuration = configuration
        self.encoder = OTLPJSONEncoder(resource: resource)
        self.group = group
        // The request timeout bounds every wait, so the per-phase limits are not set lower.
        let timeout = configuration.timeout
        self.client = HTTPClient(endpoint: configuration.endpoint, configuration: HTTPClientConfiguration(
            connectTimeout: timeout, writeTimeout: timeout, readTimeout: timeout, requestTimeout: timeout, maxIdleConnections: 1), group: group)
    }

    /// Requests sent again after a retryable failure, since the start.
    public var retries: Int { retryCount.load(ordering: .relaxed) }

    public func export(_ spans: [FinishedSpan], deadline: ContinuousClock.Instant) async -> SpanExportResult {
        var headers = configuration.headers
        headers.append(name: "Content-Type", value: "application/json")
        let request = HTTPClientRequest(method: "POST", target: configuration.endpoint.target, headers: headers,
                                        body: ByteBuffer(bytes: encoder.encode(spans)))
        var attempt = 0
        while true {
            attempt += 1
            let failure: String
            var delay: Duration?
            do {
                let response = try await client.execute(request, deadline: min(deadline, .now + configuration.timeout))
                if (200..<300).contains(response.status) { return .success }
                failure = "HTTP \(response.status)"
                guard Self.retryableStatuses.contains(response.status) else { return .failure(failure + " (not retryable)") }
                delay = response.headers.first("Retry-After").flatMap { RetryAfter.delay($0, nowUnixSeconds: Self.unixSeconds()) }
            } catch .cancelled {
                return .failure("cancelled")
            } catch .invalidRequest(let reason) {
                return .failure("invalid request: \(reason)")
            } catch {
                failure = error.description
            }
            let wait = delay ?? configuration.backoff.delay(attempt: attempt)
            guard ContinuousClock.now + wait < deadline else { return .failure("\(failure); gave up after \(attempt) attempt(s)") }
            do {
                try await group.sleep(for: wait)
            } catch {
                return .failure("\(failure); cancelled while waiting to retry")
            }
            retryCount.add(1, ordering: .relaxed)
        }
    }

    public func shutdown() async {
        client.closeIdleConnections()
    }

    /// The statuses OTLP/HTTP says to retry: throttling and a server or gateway that is
    /// unavailable for now.
    static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    private static func unixSeconds() -> Int {
        Int(time(nil))
    }
}
