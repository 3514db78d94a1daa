import Transport

/// Why a Redis command or connection failed.
///
/// A struct with a `code` rather than an enum, so that new kinds of failure can be added without
/// breaking code that switches over them. The cause is kept: `serverError` holds the server's
/// error reply (with its prefix, and a parsed `MOVED`/`ASK` redirection), `transportError` the
/// socket failure, `protocolError` the invalid bytes and their offset.
///
/// ```swift
/// do { ... } catch RedisClientError.Code.commandTimeout { ... }
/// // or, under typed throws: catch where error.code == .server && error.serverError?.prefix == "NOSCRIPT"
/// ```
public struct RedisClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case server, connectionClosed, connectionLost, connectFailed, connectTimeout, commandTimeout
            case cancelled, protocolViolation, unexpectedReply, poolExhausted, invalidCommand, invalidURL
            case handshakeFailed, failover, topologyUnavailable, crossSlot, tooManyRedirections
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server answered with an error reply (`serverError`).
        public static let server = Code(.server)
        /// The connection closed before the reply arrived, or was already closed. The command
        /// may or may not have run on the server; it is never retried automatically. When the
        /// connection closed because of an earlier failure, that failure's cause is kept.
        public static let connectionClosed = Code(.connectionClosed)
        /// The socket failed while commands were written or awaited (reset by the peer, broken
        /// pipe, ...; `transportError` says which operation, where, and the errno). As with
        /// `connectionClosed`, the command may or may not have run and is never retried.
        public static let connectionLost = Code(.connectionLost)
        /// The TCP connection could not be opened (refused, unreachable, or no address).
        public static let connectFailed = Code(.connectFailed)
        /// Connecting, including the AUTH/SELECT/CLIENT SETNAME handshake, took longer than allowed.
        public static let connectTimeout = Code(.connectTimeout)
        /// No reply within the command timeout; the connection was closed so later replies
        /// cannot be matched to the wrong command.
        public static let commandTimeout = Code(.commandTimeout)
        /// The calling task was cancelled while waiting.
        public static let cancelled = Code(.cancelled)
        /// The server sent bytes that are not valid RESP2 (`protocolError`); the connection was closed.
        public static let protocolViolation = Code(.protocolViolation)
        /// A reply of a type the command does not answer with.
        public static let unexpectedReply = Code(.unexpectedReply)
        /// Every connection of the pool is leased and none came back within the wait timeout.
        public static let poolExhausted = Code(.poolExhausted)
        /// The command could not be encoded (`protocolError`: it has no arguments).
        public static let invalidCommand = Code(.invalidCommand)
        /// A Redis URL that cannot be parsed.
        public static let invalidURL = Code(.invalidURL)
        /// A connection setup command (AUTH, SELECT, CLIENT SETNAME) answered something other than `OK`.
        public static let handshakeFailed = Code(.handshakeFailed)
        /// The master changed while the command was in flight (Sentinel): it may or may not have
        /// run on the old master and is not retried. The cause of the break is kept.
        public static let failover = Code(.failover)
        /// No server to send the command to could be found in time: no sentinel named a master
        /// that answers as one, or no cluster node answered with a slot map covering the key.
        public static let topologyUnavailable = Code(.topologyUnavailable)
        /// The keys of a script, a transaction or a multi-key command lie in more than one
        /// cluster slot; refused before anything was sent, the message names the keys.
        public static let crossSlot = Code(.crossSlot)
        /// The cluster kept redirecting the command (`MOVED`/`ASK`) past the limit.
        public static let tooManyRedirections = Code(.tooManyRedirections)

        public var description: String { base.rawValue }

        /// Lets a `catch` clause match on a code: `catch RedisClientError.Code.commandTimeout`.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? RedisClientError)?.code == code
        }
    }

    /// The causes an error can carry, behind one reference: every reply travels in a
    /// `Result` with this error type, so it is kept small (a code, a message and a pointer).
    private final class Causes: Sendable, Hashable {
        let server: RedisServerError?
        let transport: TransportError?
        let decoding: RESPError?

        init(server: RedisServerError?, transport: TransportError?, decoding: RESPError?) {
            self.server = server
            self.transport = transport
            self.decoding = decoding
        }

        static func == (a: Causes, b: Causes) -> Bool {
            a.server == b.server && a.transport == b.transport && a.decoding == b.decoding
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(server)
            hasher.combine(transport)
            hasher.combine(decoding)
        }
    }

    /// What kind of failure.
    public let code: Code
    /// The details in words: why the connection closed, the command and the reply, the URL, ...
    public let message: String
    private let causes: Causes?

    /// The server's error reply, for `server`, and for a handshake or a connection closed by one.
    public var serverError: RedisServerError? { causes?.server }
    /// The socket failure beneath a `connectionLost`, a `connectFailed`, or a connection closed by one.
    public var transportError: TransportError? { causes?.transport }
    /// The invalid reply (with its stream offset) or the unencodable command.
    public var protocolError: RESPError? { causes?.decoding }

    init(
        _ code: Code, _ message: String,
        serverError: RedisServerError? = nil, transportError: TransportError? = nil, protocolError: RESPError? = nil
    ) {
        self.code = code
        self.message = message
        let none = serverError == nil && transportError == nil && protocolError == nil
        causes = none ? nil : Causes(server: serverError, transport: transportError, decoding: protocolError)
    }

    /// The server answered with an error reply.
    public static func server(_ error: RedisServerError) -> RedisClientError {
        RedisClientError(.server, error.description, serverError: error)
    }

    /// The connection closed, for `reason`.
    public static func connectionClosed(reason: String) -> RedisClientError {
        RedisClientError(.connectionClosed, reason)
    }

    /// The socket failed under the connection.
    public static func connectionLost(_ error: TransportError) -> RedisClientError {
        RedisClientError(.connectionLost, error.description, transportError: error)
    }

    /// No connection could be opened to `host:port`.
    public static func connectFailed(host: String, port: Int, _ error: TransportError) -> RedisClientError {
        RedisClientError(.connectFailed, "cannot connect to \(host):\(port): \(error)", transportError: error)
    }

    /// Connecting and the handshake took longer than `limit`.
    public static func connectTimeout(_ limit: Duration) -> RedisClientError {
        RedisClientError(.connectTimeout, "connecting took longer than \(limit)")
    }

    /// No reply within `limit`.
    public static func commandTimeout(_ limit: Duration) -> RedisClientError {
        RedisClientError(.commandTimeout, "no reply within \(limit)")
    }

    /// The calling task was cancelled while waiting.
    public static let cancelled = RedisClientError(.cancelled, "cancelled while waiting")

    /// The server sent invalid RESP2.
    public static func protocolViolation(_ error: RESPError) -> RedisClientError {
        RedisClientError(.protocolViolation, "invalid reply from server: \(error)", protocolError: error)
    }

    /// `command` got a reply of a type it does not answer with.
    public static func unexpectedReply(command: String, reply: String) -> RedisClientError {
        RedisClientError(.unexpectedReply, "unexpected reply to \(command): \(reply)")
    }

    /// All `maxConnections` connections stayed busy for `waited`.
    public static func poolExhausted(maxConnections: Int, waited: Duration) -> RedisClientError {
        RedisClientError(.poolExhausted, "all \(maxConnections) connections busy for \(waited)")
    }

    /// The command could not be encoded.
    public static func invalidCommand(_ error: RESPError) -> RedisClientError {
        RedisClientError(.invalidCommand, "invalid command: \(error)", protocolError: error)
    }

    /// A URL that cannot be parsed, with what is wrong with it.
    public static func invalidURL(_ text: String) -> RedisClientError {
        RedisClientError(.invalidURL, "invalid Redis URL: \(text)")
    }

    /// A setup command answered `reply` instead of `OK`.
    public static func handshakeFailed(command: String, reply: String) -> RedisClientError {
        RedisClientError(.handshakeFailed, "\(command) during connection setup answered \(reply)")
    }

    /// A command that was in flight on `old` when the master moved to `new`; `cause` is how it failed.
    public static func failover(from old: RedisEndpoint, to new: RedisEndpoint, _ cause: RedisClientError) -> RedisClientError {
        RedisClientError(
            .failover, "the master moved from \(old) to \(new) while the command was in flight (it may or may not have run): \(cause)",
            serverError: cause.serverError, transportError: cause.transportError, protocolError: cause.protocolError
        )
    }

    /// No server could be found for the command, for `reason`.
    public static func topologyUnavailable(_ reason: String) -> RedisClientError {
        RedisClientError(.topologyUnavailable, reason)
    }

    /// `keys` hash to more than one cluster slot.
    public static func crossSlot(command: String, keys: [String]) -> RedisClientError {
        RedisClientError(.crossSlot, "the keys of \(command) lie in more than one cluster slot: \(keys.joined(separator: ", ")); give them a common hash tag ({...})")
    }

    /// The command was redirected `count` times; `last` is the last redirection.
    public static func tooManyRedirections(_ count: Int, last: RedisServerError) -> RedisClientError {
        RedisClientError(.tooManyRedirections, "redirected \(count) times, last: \(last)", serverError: last)
    }

    /// This error as the reason a later command cannot use the connection: `connectionClosed`,
    /// keeping the cause, so it is not mistaken for the new command's own failure.
    var asConnectionClosed: RedisClientError {
        guard code != .connectionClosed else { return self }
        return RedisClientError(.connectionClosed, description, serverError: serverError, transportError: transportError, protocolError: protocolError)
    }

    /// A one-line explanation for logs.
    public var description: String {
        switch code {
        case .server: "server error: \(message)"
        case .connectionClosed: "connection closed: \(message)"
        case .connectionLost: "connection lost: \(message)"
        default: message
        }
    }
}
