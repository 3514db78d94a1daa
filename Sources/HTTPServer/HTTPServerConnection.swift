import Bytes
import Transport

/// Serving one connection: reads, parses, dispatches and writes until the connection closes.
extension HTTPServer {
    /// How long a connection closed after an error response may still be read from (see
    /// `drainBeforeClosing`).
    static let errorDrainTime = Duration.seconds(1)

    /// Runs one connection until it closes. `watch` stops a handler whose client goes away
    /// (the task is cancelled, nothing is sent) or whose deadline passes (cancelled, 503).
    ///
    /// A connection over the connection limit (`overLimit`) has `refusalTimeout` to send a
    /// health check, which is answered, once; anything else gets 503 with `Retry-After`.
    func serve(_ connection: TCPConnection, watch: HTTPConnectionWatch, overLimit: Bool = false) async {
        var machine = HTTPConnectionStateMachine(limits: configuration.limits, refusesBodies: overLimit)
        var deadline = overLimit
            ? HTTPReadDeadline(headerTimeout: Self.refusalTimeout, bodyTimeout: Self.refusalTimeout, idleTimeout: Self.refusalTimeout)
            : HTTPReadDeadline(headerTimeout: configuration.headerTimeout, bodyTimeout: configuration.bodyTimeout,
                               idleTimeout: configuration.idleTimeout)
        // Installed once: the kernel reports a hang-up once. One that comes between requests
        // is also seen by the read, as the end of the stream; one that came before this point
        // is recorded at once.
        let watching = connection.onPeerHangUp {
            if watch.peerHungUp() { connection.close() }
        }
        if !watching { _ = watch.peerHungUp() }
        do {
            while true {
                switch machine.nextAction() {
                case .read:
                    let phase = machine.readPhase
                    if phase == .idle {
                        guard watch.enterIdle(shuttingDown: { registry.isShuttingDown }) else { return }
                    }
                    let timeout = deadline.timeout(for: phase, now: .now)
                    // Empty, so the read sizes it to the request: a request's fields and body are
                    // slices of it, kept as long as the request lives (see `TCPConnection.read`).
                    var buffer = ByteBuffer()
                    let count: Int
                    do {
                        guard timeout > .zero else { throw TransportError.timedOut(operation: "read", address: nil) }
                        count = try await connection.read(into: &buffer, timeout: timeout)
                    } catch TransportError.Code.timedOut {
                        if overLimit {
                            try await sendError(.serviceUnavailable, "too many connections", version: machine.requestVersion, on: connection)
                            await drainBeforeClosing(connection, for: Self.refusalTimeout)
                        } else if phase != .idle {
                            try await sendError(.requestTimeout, "request timeout", version: machine.requestVersion, on: connection)
                            await drainBeforeClosing(connection, for: Self.errorDrainTime)
                        }
                        return
                    }
                    if phase == .idle { watch.leaveIdle() }
                    if count == 0 { machine.receivedEndOfStream() } else { machine.received(buffer) }
                case .expectContinue(let head):
                    if let refusal = continuePolicy(head) {
                        _ = try await send(refusal, for: head, keepAlive: false, on: connection)
                        await drainBeforeClosing(connection, for: Self.errorDrainTime)
                        return
                    }
                    try await connection.write(ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n"), timeout: configuration.writeTimeout)
                    machine.continueAccepted()
                case .dispatch(let request):
                    deadline.requestRead()
                    if overLimit && !isHealthCheck(request) {
                        try await sendError(.serviceUnavailable, "too many connections", version: request.head.version, on: connection)
                        await drainBeforeClosing(connection, for: Self.refusalTimeout)
                        return
                    }
                    guard let response = await handle(request, watch: watch, on: connection) else { return }
                    if let upgrade = response.upgrade {
                        _ = try await send(response, for: request.head, keepAlive: true, on: connection)
                        await serveWebSocket(upgrade, on: connection, received: machine.switchProtocols(), watch: watch)
                        return
                    }
                    let wanted = request.head.keepAlive && !response.closeConnection && !overLimit && !registry.isShuttingDown
                    let keepAlive = try await send(response, for: request.head, keepAlive: wanted, on: connection)
                    machine.responseSent(keepAlive: keepAlive)
                case .reject(let status, let message, let version):
                    try await sendError(status, message, version: version, on: connection)
                    await drainBeforeClosing(connection, for: Self.errorDrainTime)
                    return
                case .close:
                    return
                }
            }
        } catch {
            // The peer is gone or too slow to take a response: nothing more can be sent.
        }
    }

    /// Runs the WebSocket a 101 switched the connection to until it ends. Shutdown closes it
    /// with 1001 (at once when shutdown has already begun).
    private func serveWebSocket(_ upgrade: WebSocketUpgrade, on connection: TCPConnection, received: ByteBuffer,
                                watch: HTTPConnectionWatch) async {
        let socket = WebSocket(connection: connection, configuration: upgrade.configuration)
        if !watch.upgraded(goAway: socket.goAway, shuttingDown: { registry.isShuttingDown }) { socket.goAway() }
        await socket.run(received: received, handler: upgrade.handler)
    }

    /// Runs the handler of `request`, stopped by `watch` and the request deadline. Returns the
    /// response to send: the handler's, or 500 when it threw or made one that cannot be sent;
    /// nil when nothing more is to be sent on the connection (the client went away, or the
    /// deadline's 503 went out).
    private func handle(_ request: HTTPRequest, watch: HTTPConnectionWatch, on connection: TCPConnection) async -> HTTPResponse? {
        guard watch.handlerStarts() else { return nil }
        var request = request
        var timer: Scheduled?
        if let limit = configuration.requestTimeout {
            request.deadline = .now + limit
            let version = request.head.version
            timer = connection.eventLoop.scheduleTask(in: limit) { [self] in
                // Owned by `watch`: the connection task waits for it before it ends.
                watch.deadlinePassed { Task(executorPreference: connection.eventLoop) { await self.answerPastDeadline(connection, version: version) } }
            }
        }
        var response: HTTPResponse
        do {
            response = try await handler(request)
        } catch {
            response = .text("internal server error\n", status: .internalServerError)
        }
        timer?.cancel()
        switch watch.handlerEnded() {
        case .inTime:
            break
        case .clientGone:
            return nil
        case .deadlinePassed(let responder):
            await responder.value
            return nil
        }
        if let part = HTTPResponseEncoder.unsendablePart(of: response) {
            report(.error, "response cannot be sent; answered 500", ["part": part, "path": request.path])
            response = .text("internal server error\n", status: .internalServerError)
        }
        return response
    }

    /// Answers a request whose handler passed the request deadline with 503, then closes the
    /// connection, whether or not the handler has ended: one that ignores cancellation holds
    /// only its task, not the client.
    private func answerPastDeadline(_ connection: TCPConnection, version: HTTPVersion) async {
        let response = HTTPResponseEncoder.errorResponse(status: .serviceUnavailable, message: "request deadline passed",
                                                         version: version, date: HTTPDate.now(), retryAfterSeconds: 1)
        if (try? await connection.write(response, timeout: configuration.writeTimeout)) != nil {
            await drainBeforeClosing(connection, for: Self.errorDrainTime)
        }
        connection.close()
    }

    /// Answers a connection beyond `maxConnections` with 503, within short bounds: refusals are
    /// the work a flood of connections causes.
    func refuse(_ connection: TCPConnection) async {
        let response = HTTPResponseEncoder.errorResponse(status: .serviceUnavailable, message: "too many connections", version: nil,
                                                         date: HTTPDate.now(), retryAfterSeconds: 1)
        do {
            try await connection.write(response, timeout: Self.refusalTimeout)
        } catch {
            return
        }
        await drainBeforeClosing(connection, for: Self.refusalTimeout)
    }

    /// Reads and discards what the client still sends, for at most `duration` and 256 KiB,
    /// before an error closes the connection: closing a socket with unread bytes makes the
    /// kernel send a reset, which can destroy the error response before the client reads it.
    private func drainBeforeClosing(_ connection: TCPConnection, for duration: Duration) async {
        let deadline = ContinuousClock.now + duration
        var discarded = 0
        while discarded < 256 * 1024 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return }
            var scratch = ByteBuffer()
            guard let count = try? await connection.read(into: &scratch, timeout: left), count > 0 else { return }
            discarded += count
        }
    }

    /// Whether `request` is a health check, which a connection over the limit may make.
    private func isHealthCheck(_ request: HTTPRequest) -> Bool {
        (request.method == .get || request.method == .head) && configuration.healthCheckPaths.contains(request.path)
    }

    /// Sends an error response of the server's own; its 503s ask the client to retry a second later.
    private func sendError(_ status: HTTPStatus, _ message: String, version: HTTPVersion?, on connection: TCPConnection) async throws {
        let response = HTTPResponseEncoder.errorResponse(status: status, message: message, version: version, date: HTTPDate.now(),
                                                         retryAfterSeconds: status == .serviceUnavailable ? 1 : nil)
        try await connection.write(response, timeout: configuration.writeTimeout)
    }

    /// Writes `response` to the request `head`; returns whether the connection stays open.
    private func send(_ response: HTTPResponse, for head: HTTPRequestHead, keepAlive: Bool,
                      on connection: TCPConnection) async throws -> Bool {
        let timeout = configuration.writeTimeout
        let date = HTTPDate.now()
        // HEAD responses announce the body's framing but carry no body.
        let sendsBody = head.method != .head && !response.status.forbidsBody
        var out = ByteBuffer(capacity: 512)
        switch response.body {
        case .bytes(let body):
            let framing: HTTPResponseEncoder.Framing =
                response.status.forbidsBody ? .none : .length(body.readableBytes)
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
