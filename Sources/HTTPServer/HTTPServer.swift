import Bytes
import Transport

/// An HTTP/1.1 server on `Transport`: each connection reads, parses with `HTTPRequestParser`,
/// calls an async handler and writes the response, with keep-alive, pipelining (responses in
/// request order), `Expect: 100-continue`, timeouts against slow clients, a connection limit and
/// graceful shutdown.
///
/// Connection tasks run on the `Transport` event loop that watches their socket, so handlers
/// must not block the thread. Request bodies are read in full (up to `maxBodySize`) before the
/// handler runs, so no unread body is ever left in front of the next pipelined request; a body
/// refused through the continue policy is never read, and that connection is closed.
///
/// A handler's task is cancelled when its client goes away (closes or resets the connection,
/// which the loop reports without a read; nothing is sent then, and a client that only shuts
/// down its sending side counts as gone, as in Go's server) and, with
/// `Configuration.requestTimeout`, when its deadline passes (the client is answered 503).
///
/// ```swift
/// var router = HTTPRouter()
/// router.post("/orders") { request in HTTPResponse(status: .accepted) }
/// let server = try await HTTPServer.bind(configuration: .init(port: 8080), router: router)
/// Task { await server.run() }
/// ...
/// await server.shutdown(gracePeriod: .seconds(5))
/// ```
public final class HTTPServer: Sendable {
    /// Produces the response to a request. A thrown error is answered with 500. Untyped: it is
    /// the application's code, which may fail in any way.
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    /// Decides on `Expect: 100-continue`: nil to receive the body, or a final response (sent
    /// before closing the connection) to refuse it.
    public typealias ContinuePolicy = @Sendable (HTTPRequestHead) -> HTTPResponse?

    /// Connections over the connection limit answered at once (503, or a health check); those
    /// beyond are closed unanswered. Small, since each holds a descriptor for up to
    /// `refusalTimeout` twice.
    static let maxRefusalsInProgress = 16
    /// Bounds the write of a refusal and, separately, the wait for the client to stop sending;
    /// also the time a connection over the limit has to send a health check.
    static let refusalTimeout = Duration.milliseconds(500)
    /// How long shutdown waits for handlers to end once cancelled; it stops waiting for those
    /// that ignore cancellation.
    static let cancellationGrace = Duration.seconds(1)

    /// The configuration the server was bound with.
    public let configuration: Configuration
    /// Connections served at once: `Configuration.maxConnections`, or the limit derived from the
    /// process's descriptor limit when binding (all but `max(256, limit / 16)` descriptors).
    public var connectionLimit: Int { registry.connectionLimit }
    let handler: Handler
    let continuePolicy: ContinuePolicy
    let listener: TCPListener
    /// Times the server's own waits: the accept backoff, shutdown's grace periods.
    let loop: EventLoop
    let registry: HTTPConnectionRegistry
    let spare = HTTPSpareDescriptor()

    private init(configuration: Configuration, listener: TCPListener, loop: EventLoop,
                 continuePolicy: @escaping ContinuePolicy, handler: @escaping Handler) {
        self.configuration = configuration
        self.listener = listener
        self.loop = loop
        self.continuePolicy = continuePolicy
        self.handler = handler
        let limit = configuration.maxConnections
            ?? HTTPDescriptorBudget.connectionLimit(descriptorLimit: HTTPDescriptorBudget.openFileLimit)
        registry = HTTPConnectionRegistry(connectionLimit: limit, overLimitReserve: Self.maxRefusalsInProgress)
    }

    /// Binds the listening socket; call `run()` to serve.
    ///
    /// - Throws: `HTTPServerError` naming the address and the cause (EADDRINUSE, ...).
    public static func bind(configuration: Configuration, on group: EventLoopGroup = .shared,
                            continuePolicy: @escaping ContinuePolicy = { _ in nil },
                            handler: @escaping Handler) async throws(HTTPServerError) -> HTTPServer {
        let listener: TCPListener
        do {
            listener = try await TCPListener.bind(host: configuration.host, port: configuration.port, on: group)
        } catch {
            throw HTTPServerError(binding: error, address: "\(configuration.host):\(configuration.port)")
        }
        return HTTPServer(configuration: configuration, listener: listener, loop: group.next(),
                          continuePolicy: continuePolicy, handler: handler)
    }

    /// Binds a server that dispatches through `router`, which also answers 100-continue.
    ///
    /// - Throws: `HTTPServerError` naming the address and the cause (EADDRINUSE, ...).
    public static func bind(configuration: Configuration, on group: EventLoopGroup = .shared,
                            router: HTTPRouter) async throws(HTTPServerError) -> HTTPServer {
        try await bind(configuration: configuration, on: group, continuePolicy: router.continuePolicy(for:)) { request in
            try await router.handle(request)
        }
    }

    /// The port the server listens on.
    public var port: Int { listener.port }

    /// Number of connections being served (those answered over the limit not counted).
    public var connectionCount: Int { registry.servedCount }

    /// Stops accepting, closes idle connections, starts the closing handshake of WebSockets
    /// (1001, going away), lets requests in progress finish (their responses close the
    /// connection) for up to `gracePeriod`, then cancels the handlers still running and closes
    /// their connections. Returns once every connection task has ended, or about a second after
    /// cancelling: a handler that ignores cancellation is left to end on its own, its connection
    /// closed.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        let (closable, goAway) = registry.beginShutdown()
        listener.close()
        spare.discard()
        for connection in closable { connection.close() }
        for close in goAway { close() }
        if await registry.waitUntilEmpty(before: .now + gracePeriod, on: loop) { return }
        registry.cancelAll()
        if await registry.waitUntilEmpty(before: .now + Self.cancellationGrace, on: loop) { return }
        registry.forgetAll()
    }
}
