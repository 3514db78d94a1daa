/// How the server runs the WebSocket connections of one route: which pages may open them, what
/// a peer may send, and the timeouts that bound what an idle, slow or vanished peer can hold.
public struct WebSocketServerConfiguration: Sendable {
    /// Which pages may open a connection (`Origin`); the same origin by default.
    public var originPolicy: WebSocketOriginPolicy
    /// The largest frame and message a peer may send (beyond: close 1009).
    public var limits: WebSocketLimits
    /// After this long without a byte from the peer the server pings it.
    public var pingInterval: Duration
    /// How long the peer has to answer a ping (with a pong, or anything else) before the
    /// connection is closed as dead.
    public var pongTimeout: Duration
    /// Longest wait for the socket to take a frame. A peer that reads slower than it is sent to
    /// blocks its sends; past this the connection is closed, so it never holds more than the
    /// frames being written.
    public var writeTimeout: Duration
    /// How long a close this side started waits for the peer's close before the TCP connection
    /// is closed regardless.
    public var closingTimeout: Duration
    /// Received messages waiting for the handler to take them. When that many wait, the server
    /// stops reading from the peer (TCP flow control pushes back), pongs included: a handler that
    /// never reads its messages cannot be made to buffer more than these.
    public var maxQueuedMessages: Int

    /// Defaults: same origin, 1 MiB frames and messages, a ping after 30 s of silence answered
    /// within 10 s, 10 s per write, 5 s for the closing handshake, 16 queued messages.
    public init(originPolicy: WebSocketOriginPolicy = .sameOrigin, limits: WebSocketLimits = WebSocketLimits(),
                pingInterval: Duration = .seconds(30), pongTimeout: Duration = .seconds(10),
                writeTimeout: Duration = .seconds(10), closingTimeout: Duration = .seconds(5), maxQueuedMessages: Int = 16) {
        precondition(maxQueuedMessages > 0, "at least one queued message")
        self.originPolicy = originPolicy
        self.limits = limits
        self.pingInterval = pingInterval
        self.pongTimeout = pongTimeout
        self.writeTimeout = writeTimeout
        self.closingTimeout = closingTimeout
        self.maxQueuedMessages = maxQueuedMessages
    }
}
