extension HTTPRouter {
    /// Serves one upgraded connection; see `WebSocket`.
    public typealias WebSocketHandler = @Sendable (HTTPRequest, WebSocket) async throws -> Void

    /// Routes GET `pattern` to a WebSocket endpoint: the opening handshake (RFC 6455 §4.2) is
    /// checked by `WebSocketHandshake` with the configuration's origin policy. A bad upgrade is
    /// answered 400, an unsupported version 426 (naming version 13), another site's page 403, and
    /// the connection closed; a good one 101, after which `handler` runs on the connection with
    /// the configuration's limits and timeouts.
    ///
    /// ```swift
    /// router.webSocket("/live") { request, socket in
    ///     for try await message in socket.messages { try await socket.send(message) }
    /// }
    /// ```
    public mutating func webSocket(_ pattern: String, configuration: WebSocketServerConfiguration = WebSocketServerConfiguration(),
                                   _ handler: @escaping WebSocketHandler) {
        let handshake = WebSocketHandshake(originPolicy: configuration.originPolicy)
        get(pattern) { request in
            let head = request.head
            switch handshake.respond(method: head.method.rawValue, version: (head.version.major, head.version.minor),
                                     headerValues: head.headers.values) {
            case .failure(let refusal):
                var response = HTTPResponse.text(refusal.message + "\n", status: HTTPStatus(code: refusal.status))
                // `Connection` is the server's to write (with the upgrade option on a 426).
                for field in refusal.headers where field.name != "Connection" { response.headers.add(name: field.name, value: field.value) }
                response.closeConnection = true
                return response
            case .success(let acceptance):
                var response = HTTPResponse(status: .switchingProtocols)
                for field in acceptance.headers where field.name != "Connection" { response.headers.add(name: field.name, value: field.value) }
                response.upgrade = WebSocketUpgrade(configuration: configuration) { socket in try await handler(request, socket) }
                return response
            }
        }
    }
}

/// What a 101 response switches its connection to: a WebSocket served by `handler`.
struct WebSocketUpgrade: Sendable {
    let configuration: WebSocketServerConfiguration
    let handler: @Sendable (WebSocket) async throws -> Void
}
