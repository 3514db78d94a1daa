import Transport

/// Why a connection, channel or request failed, as the client reports it: the one error of the
/// client's API (`throws(AMQPConnectionError)`).
///
/// A struct with a `code` rather than an enum, so that new kinds of failure can be added without
/// breaking code that matches on them. The other fields say what and where, as far as the code
/// has them: the server's reply code and text, the channel, the consumer or delivery tag, and,
/// for a lost connection or a refused method, the `underlying` error that caused it.
///
/// ```swift
/// do { ... } catch AMQPConnectionError.Code.channelClosed { ... }
/// // or: catch let error where error.replyCode == .notFound
/// ```
public struct AMQPConnectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionClosed, channelClosed, protocolViolation, unsupportedServer, connectFailed, connectionNotOpen
            case channelNotOpen, tooManyChannels, closedByClient, timedOut, connectionLost, blockedTimedOut, confirmsNotEnabled
            case staleDelivery, consumerTagInUse, consumerCancelled, noEndpointReachable, clientClosed, cancelled, invalidMethod
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server closed the connection (`replyCode` e.g. 403 access-refused for bad
        /// credentials, 320 connection-forced).
        public static let connectionClosed = Code(.connectionClosed)
        /// The server closed the channel (`replyCode` e.g. 404 not-found, 406 precondition-failed).
        public static let channelClosed = Code(.channelClosed)
        /// The peer broke the protocol (`underlying` is the `AMQPError`); the connection is closed
        /// with its `replyCode`.
        public static let protocolViolation = Code(.protocolViolation)
        /// The server speaks another protocol version, or offers no mechanism this client can use
        /// (only PLAIN is implemented).
        public static let unsupportedServer = Code(.unsupportedServer)
        /// The TCP connection could not be opened (`underlying` is the `TransportError`).
        public static let connectFailed = Code(.connectFailed)
        /// The connection is not open (still handshaking, closing or closed).
        public static let connectionNotOpen = Code(.connectionNotOpen)
        /// The channel is not open, or is closing.
        public static let channelNotOpen = Code(.channelNotOpen)
        /// Every channel number up to the negotiated channel_max is in use.
        public static let tooManyChannels = Code(.tooManyChannels)
        /// The client closed the connection.
        public static let closedByClient = Code(.closedByClient)
        /// No reply within the operation's timeout (`operation` names it).
        public static let timedOut = Code(.timedOut)
        /// The socket failed or the server vanished: `underlying` is the socket's `TransportError`
        /// when there is one (none when the server closed the socket, or sent nothing, not even a
        /// heartbeat, for two heartbeat intervals).
        public static let connectionLost = Code(.connectionLost)
        /// A publish or `waitUntilUnblocked` waited longer than its timeout while the server
        /// blocked the connection (`connection.blocked`; `message` is the server's reason).
        public static let blockedTimedOut = Code(.blockedTimedOut)
        /// `publishConfirmed` on a channel without `confirmSelect()`.
        public static let confirmsNotEnabled = Code(.confirmsNotEnabled)
        /// An ack, nack or reject for a delivery whose channel has closed since (or was replaced by
        /// recovery): its tag would name another message, so nothing was sent.
        public static let staleDelivery = Code(.staleDelivery)
        /// `consume` with a consumer tag that a consumer on the same channel already uses; nothing
        /// was sent (the broker would close the connection with 530 NOT_ALLOWED).
        public static let consumerTagInUse = Code(.consumerTagInUse)
        /// The server cancelled the consumer (`basic.cancel`: its queue was deleted, or its node failed).
        public static let consumerCancelled = Code(.consumerCancelled)
        /// No endpoint accepted a connection within the retry policy (`attempts`; `underlying` is
        /// the last endpoint's failure).
        public static let noEndpointReachable = Code(.noEndpointReachable)
        /// The recovering client is not running: closed, not yet started, or its `run()` ended.
        public static let clientClosed = Code(.clientClosed)
        /// The calling task was cancelled while waiting.
        public static let cancelled = Code(.cancelled)
        /// The method or message cannot be sent as given (a name over 255 bytes, a `nowait`
        /// method passed to `call`); nothing was sent. `underlying` is the `AMQPError`.
        public static let invalidMethod = Code(.invalidMethod)

        public var description: String { base.rawValue }

        /// Lets a `catch` clause match on a code: `catch AMQPConnectionError.Code.timedOut`.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? AMQPConnectionError)?.code == code
        }

        /// The same for a `catch` of typed throws, where the error is already an `AMQPConnectionError`.
        public static func ~= (code: Code, error: AMQPConnectionError) -> Bool {
            error.code == code
        }
    }

    /// What kind of failure.
    public let code: Code
    /// The reply code of the server's `connection.close` or `channel.close`, or the one the
    /// client closed with for a protocol violation.
    public let replyCode: ReplyCode?
    /// What happened, in words: the server's reply text, or the client's explanation.
    public let message: String
    /// The channel concerned, when one is.
    public let channel: UInt16?
    /// The method a server's close names (class and method id), 0 when it names none.
    public let classID: UInt16
    public let methodID: UInt16
    /// The consumer concerned (`consumerCancelled`, `consumerTagInUse`).
    public let consumerTag: String?
    /// The delivery concerned (`staleDelivery`).
    public let deliveryTag: UInt64?
    /// The operation that timed out (`timedOut`), or whose connection attempt failed.
    public let operation: String?
    /// Connection attempts made (`noEndpointReachable`).
    public let attempts: Int?
    /// What caused this failure, when it has a cause of its own: a `TransportError`, an
    /// `AMQPError`, or (for `noEndpointReachable`) the last attempt's `AMQPConnectionError`.
    public let underlying: (any Error)?

    private init(
        _ code: Code, _ message: String, replyCode: ReplyCode? = nil, channel: UInt16? = nil, classID: UInt16 = 0, methodID: UInt16 = 0,
        consumerTag: String? = nil, deliveryTag: UInt64? = nil, operation: String? = nil, attempts: Int? = nil, underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.replyCode = replyCode
        self.channel = channel
        self.classID = classID
        self.methodID = methodID
        self.consumerTag = consumerTag
        self.deliveryTag = deliveryTag
        self.operation = operation
        self.attempts = attempts
        self.underlying = underlying
    }

    // MARK: One constructor per code

    public static func connectionClosed(replyCode: ReplyCode, replyText: String, classID: UInt16, methodID: UInt16) -> AMQPConnectionError {
        AMQPConnectionError(.connectionClosed, replyText, replyCode: replyCode, classID: classID, methodID: methodID)
    }

    public static func channelClosed(channel: UInt16, replyCode: ReplyCode, replyText: String, classID: UInt16, methodID: UInt16) -> AMQPConnectionError {
        AMQPConnectionError(.channelClosed, replyText, replyCode: replyCode, channel: channel, classID: classID, methodID: methodID)
    }

    public static func protocolViolation(_ error: AMQPError) -> AMQPConnectionError {
        AMQPConnectionError(.protocolViolation, error.description, replyCode: error.replyCode, underlying: error)
    }

    public static func unsupportedMechanism(offered: String) -> AMQPConnectionError {
        AMQPConnectionError(.unsupportedServer, "no supported SASL mechanism in '\(offered)' (need PLAIN)")
    }

    public static func unsupportedVersion(major: UInt8, minor: UInt8) -> AMQPConnectionError {
        AMQPConnectionError(.unsupportedServer, "server speaks AMQP \(major)-\(minor), not 0-9")
    }

    public static func connectFailed(_ error: TransportError) -> AMQPConnectionError {
        AMQPConnectionError(.connectFailed, "\(error)", operation: error.operation, underlying: error)
    }

    public static let connectionNotOpen = AMQPConnectionError(.connectionNotOpen, "connection is not open")

    public static func channelNotOpen(_ channel: UInt16) -> AMQPConnectionError {
        AMQPConnectionError(.channelNotOpen, "channel \(channel) is not open", channel: channel)
    }

    public static func tooManyChannels(limit: UInt16) -> AMQPConnectionError {
        AMQPConnectionError(.tooManyChannels, "all \(limit) channels are in use")
    }

    public static let closedByClient = AMQPConnectionError(.closedByClient, "connection closed by client")

    public static func timedOut(operation: String) -> AMQPConnectionError {
        AMQPConnectionError(.timedOut, "\(operation) timed out", operation: operation)
    }

    /// The connection was lost; `cause` is the socket's error, when there is one.
    public static func connectionLost(_ message: String, cause: (any Error)? = nil) -> AMQPConnectionError {
        AMQPConnectionError(.connectionLost, message, underlying: cause)
    }

    public static func blockedTimedOut(reason: String) -> AMQPConnectionError {
        AMQPConnectionError(.blockedTimedOut, reason)
    }

    public static func confirmsNotEnabled(channel: UInt16) -> AMQPConnectionError {
        AMQPConnectionError(.confirmsNotEnabled, "channel \(channel) is not in confirm mode; call confirmSelect() first", channel: channel)
    }

    public static func staleDelivery(channel: UInt16, deliveryTag: UInt64) -> AMQPConnectionError {
        AMQPConnectionError(
            .staleDelivery, "delivery \(deliveryTag) came on channel \(channel), which has closed since; not acknowledged", channel: channel,
            deliveryTag: deliveryTag)
    }

    public static func consumerTagInUse(channel: UInt16, consumerTag: String) -> AMQPConnectionError {
        AMQPConnectionError(.consumerTagInUse, "consumer tag '\(consumerTag)' is already in use on channel \(channel)", channel: channel, consumerTag: consumerTag)
    }

    public static func consumerCancelled(channel: UInt16, consumerTag: String) -> AMQPConnectionError {
        AMQPConnectionError(.consumerCancelled, "server cancelled consumer '\(consumerTag)' on channel \(channel)", channel: channel, consumerTag: consumerTag)
    }

    /// `last` is why the last attempt failed, at `endpoint` (`host:port`); nil when there was none.
    public static func noEndpointReachable(attempts: Int, last: AMQPConnectionError?, endpoint: String? = nil) -> AMQPConnectionError {
        let lastWords = last.map { "; last: \(endpoint.map { "\($0): " } ?? "")\($0)" } ?? ""
        return AMQPConnectionError(.noEndpointReachable, "no endpoint reachable after \(attempts) attempts" + lastWords, attempts: attempts, underlying: last)
    }

    public static func clientClosed(_ reason: String, cause: (any Error)? = nil) -> AMQPConnectionError {
        AMQPConnectionError(.clientClosed, reason, underlying: cause)
    }

    public static let cancelled = AMQPConnectionError(.cancelled, "cancelled while waiting")

    public static func invalidMethod(_ error: AMQPError) -> AMQPConnectionError {
        AMQPConnectionError(.invalidMethod, error.reason.detail, underlying: error)
    }

    /// `error` as the client reports it: itself, or cancellation as `.cancelled`, a socket
    /// failure as a lost connection, an encoding failure as `.invalidMethod`.
    init(_ error: any Error) {
        switch error {
        case let error as AMQPConnectionError: self = error
        case is CancellationError: self = .cancelled
        case let error as AMQPError: self = .invalidMethod(error)
        case let error as TransportError: self = .connectionLost("\(error)", cause: error)
        default: self = .connectionLost("\(error)", cause: error)
        }
    }

    // MARK: Equality without the cause's identity

    public static func == (a: AMQPConnectionError, b: AMQPConnectionError) -> Bool {
        a.code == b.code && a.replyCode == b.replyCode && a.message == b.message && a.channel == b.channel && a.classID == b.classID
            && a.methodID == b.methodID && a.consumerTag == b.consumerTag && a.deliveryTag == b.deliveryTag && a.operation == b.operation
            && a.attempts == b.attempts && a.underlying.map { "\($0)" } == b.underlying.map { "\($0)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(replyCode)
        hasher.combine(message)
        hasher.combine(channel)
    }

    public var description: String {
        switch code {
        case .connectionClosed:
            "connection closed by server: \(replyCode.map { "\($0.rawValue) " } ?? "")\(message) (method \(classID).\(methodID))"
        case .channelClosed:
            "channel \(channel ?? 0) closed by server: \(replyCode.map { "\($0.rawValue) " } ?? "")\(message) (method \(classID).\(methodID))"
        case .protocolViolation: "protocol violation: \(message)"
        case .connectionLost: "connection lost: \(message)"
        case .blockedTimedOut: "timed out while the server blocks the connection (\(message))"
        case .clientClosed: "client closed: \(message)"
        case .invalidMethod: "invalid method: \(message)"
        case .connectFailed: "cannot connect: \(message)"
        default: message
        }
    }
}
