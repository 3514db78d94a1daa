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
        /// Connections served at once. Beyond it a connection is answered 503 (with
        /// `Retry-After`) and closed; at most 16 such answers are under way at a time, and
        /// connections beyond those are closed without one, so a flood costs bounded work. Nil
        /// (the default): derived from the process's descriptor limit at `bind`, leaving room
        /// for its other descriptors (see `HTTPServer.connectionLimit`), so that connections past
        /// it get the 503 rather than the process running out of descriptors.
        public var maxConnections: Int?
        /// Paths of health checks (`/livez`, `/readyz`): GET or HEAD requests to them without a
        /// body are answered even beyond `maxConnections`, from the reserve of answers to
        /// connections over the limit, so that a server at its limit still says it is alive.
        /// Other requests on those connections get the 503. Empty by default: connections over
        /// the limit are answered 503 without reading them.
        public var healthCheckPaths: Set<String>
        /// Receives what the server reports about itself for operators: accept failures
        /// (descriptor exhaustion) and their end, connections answered from the spare
        /// descriptor, the connection limit reached, a handler's response that could not be
        /// sent. The server has no logger of its own; nil (the default) drops the reports.
        public var log: (@Sendable (LogEvent) -> Void)?

        /// Defaults: 10 s for a head, 60 s for a body (8 MiB, the default body limit, at about
        /// 140 KB/s), 30 s per write, 60 s idle, no request timeout, a connection limit derived
        /// from the descriptor limit, no health check paths, no log.
        public init(host: String = "127.0.0.1", port: Int = 8080, limits: HTTPParserLimits = HTTPParserLimits(),
                    headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(60),
                    idleTimeout: Duration = .seconds(60), writeTimeout: Duration = .seconds(30),
                    requestTimeout: Duration? = nil, maxConnections: Int? = nil, healthCheckPaths: Set<String> = [],
                    log: (@Sendable (LogEvent) -> Void)? = nil) {
            self.host = host
            self.port = port
            self.limits = limits
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.writeTimeout = writeTimeout
            self.requestTimeout = requestTimeout
            self.maxConnections = maxConnections
            self.healthCheckPaths = healthCheckPaths
            self.log = log
        }
    }
}
