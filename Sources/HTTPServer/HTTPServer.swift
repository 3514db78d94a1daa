import Bytes
import Synchronization
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
/// ```swift
/// var router = HTTPRouter()
/// router.add("POST", "/orders") { request in HTTPResponse(status: 202) }
/// let server = try await HTTPServer.bind(configuration: .init(port: 8080), router: router)
/// Task { await server.run() }
/// ...
/// await server.shutdown(gracePeriod: .seconds(5))
/// ```
public final class HTTPServer: Sendable {
    /// Listening address, limits and timeouts.
    public struct Configuration: Sendable {
        /// The address to listen on, e.g. `127.0.0.1` or `0.0.0.0`.
        public var host: String
        /// The port, or 0 for one the kernel picks (see `HTTPServer.port`).
        public var port: Int
        /// What one request may contain; see `HTTPParserLimits`.
        public var limits: HTTPParserLimits
        /// Longest time from the first byte of a request to the end of its head; answered with
        /// 408 and a close. Guards against clients trickling headers (slowloris).
        public var headerTimeout: Duration
        /// Longest wait for each read of a request body; answered with 408 and a close.
        public var bodyTimeout: Duration
        /// Longest wait for the next request on a kept-alive connection before closing it.
        public var idleTimeout: Duration
        /// Longest wait for each write of a response before giving up on the connection.
        public var writeTimeout: Duration
        /// Connections served at once; more are answered 503 and closed.
        public var maxConnections: Int

        /// Defaults: 10 s for a head, 30 s per body read and per write, 60 s idle, 10,000
        /// connections.
        public init(host: String = "127.0.0.1", port: Int = 8080, limits: HTTPParserLimits = HTTPParserLimits(),
                    headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30),
                    idleTimeout: Duration = .seconds(60), writeTimeout: Duration = .seconds(30),
                    maxConnections: Int = 10_000) {
            self.host = host
            self.port = port
            self.limits = limits
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.writeTimeout = writeTimeout
            self.maxConnections = maxConnections
        }
    }

    /// Produces the response to a request. A thrown error is answered with 500.
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    /// Decides on `Expect: 100-continue`: nil to receive the body, or a final response (sent
    /// before closing the connection) to refuse it.
    public typealias ContinuePolicy = @Sendable (HTTPRequestHead) -> HTTPResponse?

    /// The configuration the server was bound with.
    public let configuration: Configuration
    private let handler: Handler
    private let continuePolicy: ContinuePolicy
    private let listener: TCPListener
    /// Shared by the accept loop, every connection task and `shutdown`; held only to update the
    /// table, never across a suspension.
    private let registry = Mutex(Registry())

    private struct Registry {
        var connections: [Int: (connection: TCPConnection, idle: Bool)] = [:]
        var nextID = 0
        var shuttingDown = false
    }

    private init(configuration: Configuration, listener: TCPListener, continuePolicy: @escaping ContinuePolicy,
                 handler: @escaping Handler) {
        self.configuration = configuration
        self.listener = listener
        self.continuePolicy = continuePolicy
        self.handler = handler
    }

    /// Binds the listening socket; call `run()` to serve.
    public static func bind(configuration: Configuration, on group: EventLoopGroup = .shared,
                            continuePolicy: @escaping ContinuePolicy = { _ in nil },
                            handler: @escaping Handler) async throws -> HTTPServer {
        let listener = try await TCPListener.bind(host: configuration.host, port: configuration.port, on: group)
        return HTTPServer(configuration: configuration, listener: listener, continuePolicy: continuePolicy, handler: handler)
    }

    /// Binds a server that dispatches through `router`, which also answers 100-continue.
    public static func bind(configuration: Configuration, on group: EventLoopGroup = .shared,
                            router: HTTPRouter) async throws -> HTTPServer {
        try await bind(configuration: configuration, on: group, continuePolicy: router.continuePolicy(for:)) { request in
            try await router.handle(request)
        }
    }

    /// The port the server listens on.
    public var port: Int { listener.port }

    /// Number of connections being served.
    public var connectionCount: Int { registry.withLock { $0.connections.count } }

    /// Accepts connections until `shutdown` is called, serving each in its own task on the event
    /// loop that watches it.
    public func run() async {
        while true {
            let connection: TCPConnection
            do {
                connection = try await listener.accept()
            } catch {
                if registry.withLock({ $0.shuttingDown }) { return }
                if case TransportError.closed = error { return }
                // Out of descriptors or similar: back off instead of spinning on the error.
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            let id: Int? = registry.withLock { registry in
                guard !registry.shuttingDown, registry.connections.count < configuration.maxConnections else { return nil }
                let id = registry.nextID
                registry.nextID += 1
                registry.connections[id] = (connection, false)
                return id
            }
            guard let id else {
                Task(executorPreference: connection.eventLoop) { await self.refuse(connection) }
                continue
            }
            Task(executorPreference: connection.eventLoop) {
                await self.serve(connection, id: id)
                connection.close()
                _ = self.registry.withLock { $0.connections.removeValue(forKey: id) }
            }
        }
    }

    /// Stops accepting, closes idle connections, lets requests in progress finish (their
    /// responses close the connection) for up to `gracePeriod`, then closes whatever remains.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        let idle = registry.withLock { registry in
            registry.shuttingDown = true
            return registry.connections.values.filter(\.idle).map(\.connection)
        }
        listener.close()
        for connection in idle { connection.close() }
        let deadline = ContinuousClock.now + gracePeriod
        // Shutdown is rare, so a short poll is simpler than wiring a completion signal through
        // every connection task.
        while connectionCount > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let remaining = registry.withLock { $0.connections.values.map(\.connection) }
        for connection in remaining { connection.close() }
    }

    /// Marks a connection idle (closable by shutdown) or busy; false when shutting down, in which
    /// case an idle connection should close instead of waiting.
    private func setIdle(_ id: Int, _ idle: Bool) -> Bool {
        registry.withLock { registry in
            registry.connections[id]?.idle = idle
            return !registry.shuttingDown
        }
    }

    private func refuse(_ connection: TCPConnection) async {
        let response = HTTPResponseEncoder.errorResponse(status: 503, message: "too many connections", version: nil,
                                                         date: HTTPDate.now())
        try? await connection.write(response, timeout: configuration.writeTimeout)
        await drainBeforeClosing(connection)
        connection.close()
    }

    /// Reads and discards what the client still sends, for a bounded time and amount, before an
    /// error closes the connection: closing a socket with unread bytes makes the kernel send a
    /// reset, which can destroy the error response before the client reads it.
    private func drainBeforeClosing(_ connection: TCPConnection) async {
        let deadline = ContinuousClock.now + .seconds(1)
        var discarded = 0
        while discarded < 256 * 1024 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return }
            var scratch = ByteBuffer()
            guard let count = try? await connection.read(into: &scratch, timeout: left), count > 0 else { return }
            discarded += count
        }
    }

    /// Runs one connection until it closes.
    private func serve(_ connection: TCPConnection, id: Int) async {
        var machine = HTTPConnectionStateMachine(limits: configuration.limits)
        var headDeadline: ContinuousClock.Instant?
        do {
            while true {
                switch machine.nextAction() {
                case .read:
                    let phase = machine.readPhase
                    let timeout: Duration
                    switch phase {
                    case .idle:
                        headDeadline = nil
                        guard setIdle(id, true) else { return }
                        timeout = configuration.idleTimeout
                    case .head:
                        let deadline = headDeadline ?? ContinuousClock.now + configuration.headerTimeout
                        headDeadline = deadline
                        timeout = deadline - ContinuousClock.now
                    case .body:
                        headDeadline = nil
                        timeout = configuration.bodyTimeout
                    }
                    var buffer = ByteBuffer()
                    let count: Int
                    do {
                        guard timeout > .zero else { throw TransportError.timedOut(operation: "read", address: nil) }
                        count = try await connection.read(into: &buffer, timeout: timeout)
                    } catch TransportError.timedOut {
                        if phase != .idle {
                            try await sendError(408, "request timeout", version: machine.requestVersion, on: connection)
                            await drainBeforeClosing(connection)
                        }
                        return
                    }
                    if phase == .idle { _ = setIdle(id, false) }
                    if count == 0 { machine.receivedEndOfStream() } else { machine.received(buffer) }
                case .expectContinue(let head):
                    if let refusal = continuePolicy(head) {
                        _ = try await send(refusal, for: head, keepAlive: false, on: connection)
                        await drainBeforeClosing(connection)
                        return
                    }
                    try await connection.write(ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n"), timeout: configuration.writeTimeout)
                    machine.continueAccepted()
                case .dispatch(let request):
                    let response: HTTPResponse
                    do {
                        response = try await handler(request)
                    } catch {
                        response = .text("internal server error\n", status: 500)
                    }
                    let wanted = request.head.keepAlive && !response.closeConnection && !registry.withLock { $0.shuttingDown }
                    let keepAlive = try await send(response, for: request.head, keepAlive: wanted, on: connection)
                    machine.responseSent(keepAlive: keepAlive)
                case .reject(let status, let message, let version):
                    try await sendError(status, message, version: version, on: connection)
                    await drainBeforeClosing(connection)
                    return
                case .close:
                    return
                }
            }
        } catch {
            // The peer is gone or too slow to take a response: nothing more can be sent.
        }
    }

    private func sendError(_ status: Int, _ message: String, version: HTTPVersion?, on connection: TCPConnection) async throws {
        let response = HTTPResponseEncoder.errorResponse(status: status, message: message, version: version, date: HTTPDate.now())
        try await connection.write(response, timeout: configuration.writeTimeout)
    }

    /// Writes `response` to the request `head`; returns whether the connection stays open.
    private func send(_ response: HTTPResponse, for head: HTTPRequestHead, keepAlive: Bool,
                      on connection: TCPConnection) async throws -> Bool {
        let timeout = configuration.writeTimeout
        let date = HTTPDate.now()
        // HEAD responses announce the body's framing but carry no body.
        let sendsBody = !head.isMethod("HEAD") && !HTTPResponseEncoder.forbidsBody(response.status)
        var out = ByteBuffer(capacity: 512)
        switch response.body {
        case .bytes(let body):
            let framing: HTTPResponseEncoder.Framing =
                HTTPResponseEncoder.forbidsBody(response.status) ? .none : .length(body.readableBytes)
            HTTPResponseEncoder.writeHead(response, framing: framing, version: head.version, keepAlive: keepAlive,
                                          date: date, into: &out)
            if sendsBody { out.writeBuffer(body) }
            try await connection.write(out, timeout: timeout)
            return keepAlive
        case .stream(let produce):
            // HTTP/1.0 has no chunked coding: the body ends with the connection.
            let chunked = head.version == .http1_1
            let framing: HTTPResponseEncoder.Framing = !sendsBody ? .none : chunked ? .chunked : .close
            let stays = keepAlive && (chunked || !sendsBody)
            HTTPResponseEncoder.writeHead(response, framing: framing, version: head.version, keepAlive: stays,
                                          date: date, into: &out)
            try await connection.write(out, timeout: timeout)
            guard sendsBody else { return stays }
            try await produce(HTTPBodyWriter { piece in
                if chunked {
                    var framed = ByteBuffer(capacity: piece.readableBytes + 16)
                    HTTPResponseEncoder.writeChunk(piece, into: &framed)
                    try await connection.write(framed, timeout: timeout)
                } else {
                    try await connection.write(piece, timeout: timeout)
                }
            })
            if chunked {
                var last = ByteBuffer()
                HTTPResponseEncoder.writeLastChunk(into: &last)
                try await connection.write(last, timeout: timeout)
            }
            return stays
        }
    }
}
