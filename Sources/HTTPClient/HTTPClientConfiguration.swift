/// Timeouts and limits of an `HTTPClient`. Every wait is timed by the connection's event loop.
public struct HTTPClientConfiguration: Sendable, Hashable {
    /// Longest wait for a connection to be made (name resolution included).
    public var connectTimeout: Duration
    /// Longest wait for the socket to take more of the request.
    public var writeTimeout: Duration
    /// Longest wait for more of the response to arrive.
    public var readTimeout: Duration
    /// Longest time a whole request may take when the caller gives no deadline.
    public var requestTimeout: Duration
    /// Kept-alive connections kept for reuse; more are closed when returned.
    public var maxIdleConnections: Int
    public var limits: HTTPResponseLimits

    public init(connectTimeout: Duration = .seconds(5), writeTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(10),
                requestTimeout: Duration = .seconds(30), maxIdleConnections: Int = 2, limits: HTTPResponseLimits = HTTPResponseLimits()) {
        self.connectTimeout = connectTimeout
        self.writeTimeout = writeTimeout
        self.readTimeout = readTimeout
        self.requestTimeout = requestTimeout
        self.maxIdleConnections = maxIdleConnections
        self.limits = limits
    }
}
