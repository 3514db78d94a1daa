/// The role of a span in a request between processes, as OTLP numbers it.
public enum SpanKind: Int, Sendable, Hashable {
    /// An operation inside the process (the default).
    case `internal` = 1
    /// The handling of a synchronous request from a remote client (an HTTP request).
    case server = 2
    /// A synchronous request to a remote server (a Redis command, an HTTP call).
    case client = 3
    /// The sending of a message for later, asynchronous processing (a broker publish).
    case producer = 4
    /// The processing of a message from a producer (a delivery from a queue).
    case consumer = 5
}

/// The outcome of a span. Instrumentation sets `error` for failures; `ok` is an explicit
/// success that later `error`s cannot override (as OpenTelemetry specifies).
public enum SpanStatus: Sendable, Hashable {
    case unset
    case ok
    case error(description: String)

    /// The OTLP status code: 0 unset, 1 ok, 2 error.
    public var code: Int {
        switch self {
        case .unset: 0
        case .ok: 1
        case .error: 2
        }
    }
}

/// A moment in a span's life worth a name: a retry, an exception, a step of a request.
public struct SpanEvent: Sendable, Hashable {
    public let name: String
    /// Nanoseconds since the Unix epoch.
    public let timeUnixNano: UInt64
    public let attributes: Attributes

    public init(name: String, timeUnixNano: UInt64, attributes: Attributes = Attributes()) {
        self.name = name
        self.timeUnixNano = timeUnixNano
        self.attributes = attributes
    }
}

/// A pointer from a span to another span, possibly of another trace: how a batch publish span
/// refers to the request span of each order it carries.
public struct SpanLink: Sendable, Hashable {
    public let context: SpanContext
    public let attributes: Attributes

    public init(_ context: SpanContext, attributes: Attributes = Attributes()) {
        self.context = context
        self.attributes = attributes
    }
}

/// The name and version of the code that made a span (an OTLP instrumentation scope).
public struct InstrumentationScope: Sendable, Hashable {
    public let name: String
    public let version: String?

    public init(name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }
}
