/// What happens to an `AMQPClient`'s connection, for logs and readiness probes.
public enum AMQPClientEvent: Sendable, Hashable {
    /// Connected to the endpoint at this index of the client's list (first connect).
    case connected(endpoint: Int)
    /// The connection ended unexpectedly; recovery starts. Unconfirmed publishes failed with this error.
    case connectionLost(AMQPConnectionError)
    /// Reconnected to this endpoint, with topology, channels, qos, confirm mode and consumers restored.
    case recovered(endpoint: Int)
    /// Recovery gave up; the client is closed and every call fails with this error.
    case recoveryFailed(AMQPConnectionError)
    /// The server blocked the connection (`connection.blocked`).
    case blocked(reason: String)
    case unblocked
}
