/// What happens to an `AMQPClient`, for logs and readiness probes: its connection, and each
/// step of its recovery.
public enum AMQPClientEvent: Sendable, Hashable {
    /// Connected to the endpoint at this index of the client's list (first connect).
    case connected(endpoint: Int)
    /// The connection ended unexpectedly (the error keeps its cause); recovery starts.
    /// Unconfirmed publishes failed with this error; consumers wait for the next connection.
    case connectionLost(AMQPConnectionError)
    /// Reconnected to this endpoint, with topology, channels, qos, confirm mode and consumers restored.
    case recovered(endpoint: Int)
    /// Recovery gave up; `run()` ends and every call fails with this error.
    case recoveryFailed(AMQPConnectionError)
    /// The server blocked the connection (`connection.blocked`, e.g. on a memory alarm).
    case blocked(reason: String)
    case unblocked
    /// The server cancelled a consumer of `queue` (`basic.cancel`: the queue was deleted, say);
    /// the client declares the queue's recorded topology again and consumes again, with backoff.
    case consumerCancelled(queue: String, consumerTag: String)
    /// A consumer cancelled by the server, or on a channel the server closed, consumes again.
    case consumerRecovered(queue: String, consumerTag: String)
    /// The server closed a channel (e.g. 404 for a publish to a missing exchange, 541); the
    /// client opens it again with its qos, confirm mode and consumers.
    case channelClosed(AMQPConnectionError)
    /// A mandatory publish to `exchange` came back unroutable (`basic.return`, e.g. 312
    /// NO_ROUTE); the client declares the recorded topology it routes through again.
    case returned(exchange: String, routingKey: String, replyCode: ReplyCode, replyText: String)
    /// The recorded topology of `exchange` was declared again after an unroutable publish.
    case routeRepaired(exchange: String)
    /// A step of recovery failed and will be tried again after a backoff (`what` names the step).
    case recoveryStepFailed(what: String, AMQPConnectionError)
}
