import Bytes

/// The client side of an AMQP connection as a pure state machine: frames in, actions out.
///
/// It performs the handshake (protocol header, start/start-ok with PLAIN, tune/tune-ok, open),
/// tracks channels, matches replies to requests, assembles content, and runs both close
/// handshakes. It does no I/O: the caller writes the frames it is told to send and reports what
/// it reads, which is what lets tests drive it frame by frame without sockets.
///
/// Requests from the application (`openChannel`, `request`) register their reply's waiter and
/// leave the writing of the request's own frame to the caller, who does both in one critical
/// section: the waiter exists before the frame can reach the server, so no reply can arrive
/// ahead of it, and a frame that cannot be encoded is never registered.
struct ConnectionStateMachine {
    enum Action: Hashable, Sendable {
        case sendProtocolHeader
        /// Frames the connection itself answers with (handshake, close, close-ok, flow-ok).
        case send([AMQPFrame])
        /// Negotiated limits: size the frame decoder/encoder and start heartbeats.
        case tuned(Negotiated)
        /// `connection.open-ok` arrived: the connection is usable.
        case connected
        case succeed(RequestID, Reply)
        case fail(RequestID, AMQPConnectionError)
        /// A message for a consumer (`basic.deliver`).
        case deliver(channel: UInt16, AMQPMessage)
        /// A mandatory message the server could not route (`basic.return`).
        case returned(channel: UInt16, AMQPMessage)
        /// A publisher confirm: `basic.ack` (ack true) or `basic.nack` (ack false).
        case confirm(channel: UInt16, deliveryTag: UInt64, multiple: Bool, ack: Bool)
        /// The server cancelled a consumer (queue deleted, node failure).
        case consumerCancelled(channel: UInt16, consumerTag: String)
        /// The server closed a channel; its pending requests have been failed.
        case channelClosed(channel: UInt16, AMQPConnectionError)
        case blocked(reason: String)
        case unblocked
        /// The connection is finished: close the socket. Nil error means a clean client close.
        case closed(AMQPConnectionError?)
    }

    struct Negotiated: Hashable, Sendable {
        var channelMax: UInt16
        var frameMax: UInt32
        var heartbeat: UInt16
    }

    enum State {
        case initial
        case awaitingStart
        case awaitingTune
        case awaitingOpenOk
        case open
        /// We sent `connection.close` and wait for close-ok; `error` is reported when it arrives.
        case closing(error: AMQPConnectionError?)
        case closed
    }

    let configuration: ConnectionConfiguration
    private(set) var state: State = .initial
    private(set) var negotiated: Negotiated?
    /// What the server announced in `connection.start` (product, version, capabilities).
    private(set) var serverProperties = FieldTable()
    private var channels: [UInt16: ChannelState] = [:]
    private var nextRequest: UInt64 = 0

    init(configuration: ConnectionConfiguration) {
        self.configuration = configuration
    }

    // MARK: Events from the caller

    /// Begins the handshake.
    mutating func start() -> [Action] {
        guard case .initial = state else { return [] }
        state = .awaitingStart
        return [.sendProtocolHeader]
    }

    /// Opens a new channel on the lowest free number; the request completes with
    /// `channel.open-ok`. The caller sends `channel.open` on the returned number.
    mutating func openChannel() throws(AMQPConnectionError) -> (channel: UInt16, request: RequestID) {
        guard case .open = state, let negotiated else { throw .connectionNotOpen }
        guard let channel = (1...max(negotiated.channelMax, 1)).first(where: { channels[$0] == nil }) else {
            throw .tooManyChannels(limit: negotiated.channelMax)
        }
        var state = ChannelState(lifecycle: .opening)
        let id = makeRequestID()
        state.waiters.append(.init(id: id, classID: ChannelOpenOk.classID, replies: [ChannelOpenOk.methodID]))
        channels[channel] = state
        return (channel, id)
    }

    /// Registers `method`, about to be sent by the caller on an open channel. The request id is
    /// nil when no reply is expected (asynchronous methods, `nowait`). Connection-level methods
    /// (channel 0) are the machine's own business and refused here.
    mutating func request(_ method: AMQPMethod, on channel: UInt16) throws(AMQPConnectionError) -> RequestID? {
        guard case .open = state else { throw .connectionNotOpen }
        guard let index = channels.index(forKey: channel), case .open = channels.values[index].lifecycle else {
            throw .channelNotOpen(channel)
        }
        let replies = method.replyMethodIDs
        let id = replies.isEmpty ? nil : makeRequestID()
        if let id { channels.values[index].waiters.append(.init(id: id, classID: method.classID, replies: replies)) }
        if case .channelClose = method { channels.values[index].lifecycle = .closing }
        return id
    }

    /// Throws unless content (a `basic.publish` with its header and body) may be sent on `channel` now.
    func requireOpen(_ channel: UInt16) throws(AMQPConnectionError) {
        guard case .open = state else { throw .connectionNotOpen }
        guard let index = channels.index(forKey: channel), case .open = channels.values[index].lifecycle else {
            throw .channelNotOpen(channel)
        }
    }

    /// Starts the client side of the close handshake; pending requests fail with `closedByClient`.
    mutating func close(replyCode: ReplyCode = .replySuccess, replyText: String = "") -> [Action] {
        switch state {
        case .initial, .closed:
            state = .closed
            return [.closed(nil)]
        case .closing:
            return []
        case .awaitingStart, .awaitingTune, .awaitingOpenOk, .open:
            var actions = failAll(.closedByClient)
            state = .closing(error: nil)
            actions.append(.send([.method(channel: 0, .connectionClose(ConnectionClose(replyCode: replyCode.rawValue, replyText: replyText)))]))
            return actions
        }
    }

    /// The peer broke the protocol (a decoder error or an unexpected frame): close with its reply code.
    mutating func protocolViolation(_ error: AMQPError) -> [Action] {
        var actions: [Action] = []
        protocolViolation(error, into: &actions)
        return actions
    }

    private mutating func protocolViolation(_ error: AMQPError, into actions: inout [Action]) {
        if case .closed = state { return }
        let failure = AMQPConnectionError.protocolViolation(error)
        actions += failAll(failure)
        if case .closing = state {
            state = .closed
            actions.append(.closed(failure))
            return
        }
        state = .closing(error: failure)
        let close = ConnectionClose(replyCode: error.replyCode.rawValue, replyText: String(error.description.prefix(255)))
        actions.append(.send([.method(channel: 0, .connectionClose(close))]))
    }

    /// The socket closed or failed underneath: everything pending fails with `error`.
    mutating func transportClosed(_ error: AMQPConnectionError) -> [Action] {
        if case .closed = state { return [] }
        let wasClosing: Bool = if case .closing(nil) = state { true } else { false }
        var actions = failAll(error)
        state = .closed
        actions.append(.closed(wasClosing ? nil : error))
        return actions
    }

    // MARK: Frames from the server

    /// Applies one frame, appending what the caller must do to `actions` (in order). Appending
    /// to the caller's array, which it reuses, keeps the per-frame path free of allocations.
    mutating func received(_ frame: AMQPFrame, into actions: inout [Action]) {
        if case .heartbeat = frame { return }
        do throws(AMQPError) {
            if frame.channel == 0 {
                guard case .method(_, let method) = frame else {
                    throw AMQPError(.unexpectedFrame("content frame on channel 0"), at: 0)
                }
                try receivedConnectionMethod(method, into: &actions)
            } else {
                try receivedChannelFrame(frame, into: &actions)
            }
        } catch {
            protocolViolation(error, into: &actions)
        }
    }

    private mutating func receivedConnectionMethod(_ method: AMQPMethod, into actions: inout [Action]) throws(AMQPError) {
        switch (state, method) {
        case (.awaitingStart, .connectionStart(let start)):
            try receivedStart(start, into: &actions)
        case (.awaitingTune, .connectionTune(let tune)):
            receivedTune(tune, into: &actions)
        case (.awaitingOpenOk, .connectionOpenOk):
            state = .open
            actions.append(.connected)
        case (.closing(let error), .connectionCloseOk):
            state = .closed
            actions.append(.closed(error))
        case (.closing(let error), .connectionClose):
            // Both sides closed at once: answer, and finish as if our close-ok had come.
            state = .closed
            actions.append(.send([.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))]))
            actions.append(.closed(error))
        case (.closing, _), (.closed, _):
            // After sending close, everything else is discarded until close-ok (spec 2.2.4).
            return
        case (_, .connectionClose(let close)):
            let error = AMQPConnectionError.connectionClosed(
                replyCode: ReplyCode(rawValue: close.replyCode), replyText: close.replyText, classID: close.classID, methodID: close.methodID)
            actions += failAll(error)
            state = .closed
            actions.append(.send([.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))]))
            actions.append(.closed(error))
        case (.open, .connectionBlocked(let blocked)):
            actions.append(.blocked(reason: blocked.reason))
        case (.open, .connectionUnblocked):
            actions.append(.unblocked)
        default:
            throw AMQPError(.unexpectedFrame("\(method.name) on channel 0 while \(state)"), at: 0)
        }
    }

    private mutating func receivedStart(_ start: ConnectionStart, into actions: inout [Action]) throws(AMQPError) {
        guard start.versionMajor == 0, start.versionMinor == 9 else {
            return finish(.unsupportedVersion(major: start.versionMajor, minor: start.versionMinor), into: &actions)
        }
        let mechanisms = start.mechanisms.description.split(separator: " ")
        guard mechanisms.contains("PLAIN") else {
            return finish(.unsupportedMechanism(offered: start.mechanisms.description), into: &actions)
        }
        serverProperties = start.serverProperties
        state = .awaitingTune
        var response = ByteBuffer()
        response.writeInteger(UInt8(0))
        response.writeString(configuration.user)
        response.writeInteger(UInt8(0))
        response.writeString(configuration.password)
        let startOk = ConnectionStartOk(
            clientProperties: configuration.startOkProperties, mechanism: "PLAIN", response: response, locale: "en_US")
        actions.append(.send([.method(channel: 0, .connectionStartOk(startOk))]))
    }

    private mutating func receivedTune(_ tune: ConnectionTune, into actions: inout [Action]) {
        // As amqp091-go: 0 means "no limit", so a side's 0 yields to the other's value.
        func pick<T: FixedWidthInteger>(_ client: T, _ server: T) -> T {
            client == 0 || server == 0 ? max(client, server) : min(client, server)
        }
        let channelMax = pick(configuration.channelMax, tune.channelMax)
        let result = Negotiated(
            channelMax: channelMax == 0 ? UInt16.max : channelMax,
            frameMax: pick(configuration.frameMax, tune.frameMax),
            heartbeat: pick(configuration.heartbeat, tune.heartbeat))
        negotiated = result
        state = .awaitingOpenOk
        actions.append(.tuned(result))
        actions.append(
            .send([
                .method(channel: 0, .connectionTuneOk(ConnectionTuneOk(channelMax: result.channelMax, frameMax: result.frameMax, heartbeat: result.heartbeat))),
                .method(channel: 0, .connectionOpen(ConnectionOpen(virtualHost: configuration.virtualHost))),
            ]))
    }

    /// Ends a handshake the client cannot continue: close politely, then report `error`.
    private mutating func finish(_ error: AMQPConnectionError, into actions: inout [Action]) {
        state = .closing(error: error)
        let close = ConnectionClose(replyCode: ReplyCode.commandInvalid.rawValue, replyText: String(error.description.prefix(255)))
        actions.append(.send([.method(channel: 0, .connectionClose(close))]))
    }

    private mutating func receivedChannelFrame(_ frame: AMQPFrame, into actions: inout [Action]) throws(AMQPError) {
        switch state {
        case .open: break
        case .closing, .closed: return
        default: throw AMQPError(.unexpectedFrame("channel \(frame.channel) frame during the handshake"), at: 0)
        }
        let channel = frame.channel
        guard let index = channels.index(forKey: channel) else {
            throw AMQPError(.channelError("frame on channel \(channel), which is not open"), at: 0)
        }
        if case .closing = channels.values[index].lifecycle {
            return receivedWhileClosing(frame, channel: channel, at: index, into: &actions)
        }
        // The channel's state is changed in place through `channels.values[index]`: copying it
        // out and back would copy its waiters and partial content on every frame.
        switch frame {
        case .header(_, let header):
            if let message = try channels.values[index].receivedHeader(header) {
                complete(message, channel: channel, at: index, into: &actions)
            }
        case .body(_, let body):
            if let message = try channels.values[index].receivedBody(body) {
                complete(message, channel: channel, at: index, into: &actions)
            }
        case .heartbeat:
            return
        case .method(_, let method):
            if let partial = channels.values[index].partial {
                throw AMQPError(.unexpectedFrame("\(method.name) while content of \(partial.method.name) is incomplete"), at: 0)
            }
            try receivedChannelMethod(method, channel: channel, at: index, into: &actions)
        }
    }

    /// We sent `channel.close`: only close-ok, or the server's own close crossing ours, matter;
    /// deliveries in flight are dropped (spec: everything else is discarded until close-ok).
    private mutating func receivedWhileClosing(_ frame: AMQPFrame, channel: UInt16, at index: Dictionary<UInt16, ChannelState>.Index, into actions: inout [Action]) {
        switch frame {
        case .method(_, .channelClose(let close)):
            // The closes crossed. Each side answers the other's close, so the server's close-ok
            // to ours is still to come: answer now, keep the channel (and its number) until then.
            // Requests other than our close fail with the server's reason.
            actions.append(.send([.method(channel: channel, .channelCloseOk(ChannelCloseOk()))]))
            let error = AMQPConnectionError.channelClosed(
                channel: channel, replyCode: ReplyCode(rawValue: close.replyCode), replyText: close.replyText,
                classID: close.classID, methodID: close.methodID)
            channels.values[index].partial = nil
            channels.values[index].waiters.removeAll { waiter in
                guard !waiter.isChannelClose else { return false }
                actions.append(.fail(waiter.id, error))
                return true
            }
        case .method(_, .channelCloseOk):
            for waiter in channels.values[index].waiters {
                actions.append(waiter.isChannelClose ? .succeed(waiter.id, .method(.channelCloseOk(ChannelCloseOk()))) : .fail(waiter.id, .channelNotOpen(channel)))
            }
            channels.remove(at: index)
        default:
            return
        }
    }

    private mutating func receivedChannelMethod(
        _ method: AMQPMethod, channel: UInt16, at index: Dictionary<UInt16, ChannelState>.Index, into actions: inout [Action]
    ) throws(AMQPError) {
        switch method {
        case .channelClose(let close):
            let error = AMQPConnectionError.channelClosed(
                channel: channel, replyCode: ReplyCode(rawValue: close.replyCode), replyText: close.replyText,
                classID: close.classID, methodID: close.methodID)
            for waiter in channels.remove(at: index).value.waiters { actions.append(.fail(waiter.id, error)) }
            actions.append(.send([.method(channel: channel, .channelCloseOk(ChannelCloseOk()))]))
            actions.append(.channelClosed(channel: channel, error))
        case .basicDeliver, .basicReturn:
            channels.values[index].partial = .init(method: method)
        case .basicGetOk where channels.values[index].waiters.first?.replies.contains(BasicGetOk.methodID) ?? false:
            channels.values[index].partial = .init(method: method)
        case .basicAck(let ack):
            actions.append(.confirm(channel: channel, deliveryTag: ack.deliveryTag, multiple: ack.multiple, ack: true))
        case .basicNack(let nack):
            actions.append(.confirm(channel: channel, deliveryTag: nack.deliveryTag, multiple: nack.multiple, ack: false))
        case .basicCancel(let cancel):
            actions.append(.consumerCancelled(channel: channel, consumerTag: cancel.consumerTag))
        case .channelFlow(let flow):
            actions.append(.send([.method(channel: channel, .channelFlowOk(ChannelFlowOk(active: flow.active)))]))
        default:
            guard let waiter = channels.values[index].waiters.first, waiter.classID == method.classID, waiter.replies.contains(method.methodID) else {
                throw AMQPError(.unexpectedFrame("\(method.name) on channel \(channel) answers no request"), at: 0)
            }
            channels.values[index].waiters.removeFirst()
            if case .channelOpenOk = method { channels.values[index].lifecycle = .open }
            actions.append(.succeed(waiter.id, .method(method)))
        }
    }

    private mutating func complete(_ message: AMQPMessage, channel: UInt16, at index: Dictionary<UInt16, ChannelState>.Index, into actions: inout [Action]) {
        switch message.method {
        case .basicReturn: actions.append(.returned(channel: channel, message))
        case .basicGetOk: actions.append(.succeed(channels.values[index].waiters.removeFirst().id, .message(message)))
        default: actions.append(.deliver(channel: channel, message))
        }
    }

    // MARK: Helpers

    private mutating func makeRequestID() -> RequestID {
        nextRequest += 1
        return RequestID(value: nextRequest)
    }

    /// Fails every waiter on every channel and forgets the channels.
    private mutating func failAll(_ error: AMQPConnectionError) -> [Action] {
        var actions: [Action] = []
        for channel in channels.keys.sorted() {
            actions += channels[channel]!.waiters.map { Action.fail($0.id, error) }
        }
        channels = [:]
        return actions
    }
}
