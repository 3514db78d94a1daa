import RESP
import Tracing

/// The Redis server as a span of the database semantic conventions names it: `server.address`,
/// `server.port` and `db.namespace`, the database index given when connecting (the pipeline
/// never selects another).
public struct RedisSpanTarget: Sendable, Equatable {
    public var address: String
    public var port: Int
    public var database: Int

    public init(address: String, port: Int, database: Int) {
        self.address = address
        self.port = port
        self.database = database
    }

    /// The server `configuration` connects to.
    public init(_ configuration: RedisConfiguration) {
        self.init(address: configuration.host, port: configuration.port, database: configuration.database)
    }

    /// The server a topology is reached through: the one server, or the first Sentinel or Cluster
    /// seed named (the master and the nodes change with failovers and resharding).
    public init(_ topology: RedisTopology) {
        switch topology {
        case .single(let configuration):
            self.init(configuration)
        case .sentinel(let configuration):
            let first = configuration.sentinels.first ?? configuration.node.endpoint
            self.init(address: first.host, port: first.port, database: configuration.node.database)
        case .cluster(let configuration):
            let first = configuration.seeds.first ?? configuration.node.endpoint
            self.init(address: first.host, port: first.port, database: 0)
        }
    }
}

/// Client spans of Redis calls, per the semantic conventions for Redis: named
/// `{db.operation.name} {db.stored_procedure.name}` (`EVALSHA claim`, or `PIPELINE claim` when a
/// `WAIT` follows the script), with `db.system.name` `redis`, the target's attributes and, for a
/// failure, `error.type` (the server's error prefix, also in `db.response.status_code`, else the
/// client's error code) and an exception event.
///
/// A Redis span is a child of the current span (the request, or the first sampled order of a
/// batch) and never starts a trace: a call outside any span (an accept write retried in the
/// background) is not traced.
struct RedisSpan {
    let tracer: Tracer
    let target: RedisSpanTarget

    /// Runs `body`, the call `operation` of the script `script`, in a span.
    func run<Result>(_ operation: String, script: String, _ body: () async throws -> Result) async throws -> Result {
        guard !tracer.isDisabled, let parent = Span.current?.context, parent.isValid else { return try await body() }
        let span = tracer.startSpan("\(operation) \(script)", kind: .client, parent: parent)
        defer { span.end() }
        if span.isRecording {
            span.setAttribute("db.system.name", "redis")
            span.setAttribute("db.operation.name", .string(operation))
            span.setAttribute("db.stored_procedure.name", .string(script))
            span.setAttribute("db.namespace", .string(String(target.database)))
            span.setAttribute("server.address", .string(target.address))
            span.setAttribute("server.port", .int(Int64(target.port)))
        }
        do {
            return try await body()
        } catch {
            if let client = error as? RedisClientError, let prefix = client.serverError?.prefix, !prefix.isEmpty {
                span.setAttribute("db.response.status_code", .string(prefix))
                span.setAttribute("error.type", .string(prefix))
            } else if let client = error as? RedisClientError {
                span.setAttribute("error.type", .string(client.code.description))
            } else {
                span.setAttribute("error.type", .string(String(describing: type(of: error))))
            }
            span.recordError(error)
            throw error
        }
    }
}
