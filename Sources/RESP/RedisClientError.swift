import Transport

/// Why a Redis command or connection failed.
public enum RedisClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server answered with an error reply.
    case server(RedisServerError)
    /// The connection closed before the reply arrived, or was already closed. The command may or
    /// may not have run on the server; it is never retried automatically.
    case connectionClosed(reason: String)
    /// The socket failed while commands were written or awaited (reset by the peer, broken
    /// pipe, ...); `underlying` says which operation failed, where, and with which errno. As with
    /// `connectionClosed`, the command may or may not have run and is never retried; the
    /// connection is closed, and commands sent on it later fail with `connectionClosed`.
    case connectionLost(TransportError)
    /// The TCP connection could not be opened (refused, unreachable, or no address).
    case connectFailed(host: String, port: Int, reason: String)
    /// Connecting, including the AUTH/SELECT/CLIENT SETNAME handshake, took longer than allowed.
    case connectTimeout(Duration)
    /// No reply within the command timeout; the connection was closed so later replies cannot
    /// be matched to the wrong command.
    case commandTimeout(Duration)
    /// The calling task was cancelled while waiting for the reply.
    case cancelled
    /// The server sent bytes that are not valid RESP2; the connection was closed.
    case protocolViolation(RESPError)
    /// A reply of a type the command does not answer with.
    case unexpectedReply(command: String, reply: String)
    /// Every connection of the pool is leased and none came back within the wait timeout.
    case poolExhausted(maxConnections: Int, waited: Duration)
    /// The command could not be encoded (it has no arguments).
    case invalidCommand(RESPError)
    /// A `redis://` URL that cannot be parsed.
    case invalidURL(String)
    /// A connection setup command (AUTH, SELECT, CLIENT SETNAME) answered something other than `OK`.
    case handshakeFailed(command: String, reply: String)

    /// A one-line explanation for logs.
    public var description: String {
        switch self {
        case .server(let error): "server error: \(error)"
        case .connectionClosed(let reason): "connection closed: \(reason)"
        case .connectionLost(let underlying): "connection lost: \(underlying)"
        case .connectFailed(let host, let port, let reason): "cannot connect to \(host):\(port): \(reason)"
        case .connectTimeout(let limit): "connecting took longer than \(limit)"
        case .commandTimeout(let limit): "no reply within \(limit)"
        case .cancelled: "cancelled while waiting for the reply"
        case .protocolViolation(let error): "invalid reply from server: \(error)"
        case .unexpectedReply(let command, let reply): "unexpected reply to \(command): \(reply)"
        case .poolExhausted(let maxConnections, let waited): "all \(maxConnections) connections busy for \(waited)"
        case .invalidCommand(let error): "invalid command: \(error)"
        case .invalidURL(let text): "invalid Redis URL: \(text)"
        case .handshakeFailed(let command, let reply): "\(command) during connection setup answered \(reply)"
        }
    }
}
