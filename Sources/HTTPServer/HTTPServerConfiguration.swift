extension HTTPServer {
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
        /// Longest time from the first read of a request body to its end, however the bytes are
        /// spread; answered with 408 and a close. A deadline for the whole body rather than for
        /// each read, so a client trickling bytes cannot hold a connection for longer.
        public var bodyTimeout: Duration
        /// Longest wait for the next request on a kept-alive connection before closing it.
        public var idleTimeout: Duration
        /// Longest wait for each write of a response before giving up on the connection.
        public var writeTimeout: Duration
        /// Longest time a handler may take, from the moment its request was read. Past it the
        /// handler's task is cancelled, the client is answered 503 with `Retry-After` and the
        /// connection closes, whether or not the handler has ended. Handlers see it as
        /// `HTTPRequest.deadline`. Nil (the default): no limit.
        public var requestTimeout: Duration?
        /// Connections served at once. Beyond it a connection is answered 503 and closed; at
        /// most 16 such answers are under way at a time, and
        /// connections beyond those are closed without one, so a flood costs bounded work.
        public var maxConnections: Int

        /// Defaults: 10 s for a head, 60 s for a body (8 MiB, the default body limit, at about
        /// 140 KB/s), 30 s per write, 60 s idle, no request timeout, 10,000 connections.
        public init(host: String = "127.0.0.1", port: Int = 8080, limits: HTTPParserLimits = HTTPParserLimits(),
                    headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(60),
                    idleTimeout: Duration = .seconds(60), writeTimeout: Duration = .seconds(30),
                    requestTimeout: Duration? = nil, maxConnections: Int = 10_000) {
            self.host = host
            self.port = port
            self.limits = limits
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.writeTimeout = writeTimeout
            self.requestTimeout = requestTimeout
            self.maxConnections = maxConnections
        }
    }
}
