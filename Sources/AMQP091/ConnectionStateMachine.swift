import Bytes

/// The client side of an AMQP connection as a pure state machine: frames in, actions out.
///
/// It performs the handshake (protocol header, start/start-ok with PLAIN, tune/tune-ok, open),
/// tracks channels, matches replies to requests, assembles content, and runs both close
/// handshakes. It does no I/O: the caller writes the frames it is told to send and reports what
/// it reads, which is what lets tests drive it frame by frame without sockets.
///
/// A request's waiter is registered when `request` returns, before the caller writes the
/// frame, so a reply can never arrive ahead of its waiter.
struct ConnectionStateMachine {
    enum Action: Hashable, Sendable {
        case sendProtocolHeader
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
    private(set) var serverProperties = FieldTable()
    private var channels: [UInt16: ChannelState] = [:]
    private var nextRequest: UInt64 = 0
    /// Waiters for requests on channel 0 (connection.update-secret).
    private var connectionWaiters: [ChannelState.Waiter] = []

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

    /// Opens a new channel on the lowest free number; the request completes with `channel.open-ok`.
    mutating func openChannel() throws(AMQPConnectionError) -> (channel: UInt16, request: RequestID, actions: [Action]) {
        guard case .open = state, let negotiated else { throw .connectionNotOpen }
        guard let channel = (1...max(negotiated.channelMax, 1)).first(where: { channels[$0] == nil }) else {
            throw .tooManyChannels(limit: negotiated.channelMax)
        }
        var state = ChannelState(lifecycle: .opening)
        let id = makeRequestID()
        state.waiters.append(.init(id: id, classID: ChannelOpenOk.classID, replies: [ChannelOpenOk.methodID]))
        channels[channel] = state
        return (channel, id, [.send([.method(channel: channel, .channelOpen(ChannelOpen()))])])
    }

    /// Sends `method` on an open channel (or channel 0 for connection methods). The request id
    /// is nil when no reply is expected (asynchronous methods, `nowait`).
    mutating func request(_ method: AMQPMethod, on channel: UInt16) throws(AMQPConnectionError) -> (request: RequestID?, actions: [Action]) {
        guard case .open = state else { throw .connectionNotOpen }
        let replies = method.replyMethodIDs
        let id = replies.isEmpty ? nil : makeRequestID()
        if channel == 0 {
            if let id { connectionWaiters.append(.init(id: id, classID: method.classID, replies: replies)) }
        } else {
            guard var channelState = channels[channel], case .open = channelState.lifecycle else { throw .channelNotOpen(channel) }
            if let id { channelState.waiters.append(.init(id: id, classID: method.classID, replies: replies)) }
            if case .channelClose = method { channelState.lifecycle = .closing }
            channels[channel] = channelState
        }
        return (id, [.send([.method(channel: channel, method)])])
    }

    /// Sends a content-carrying method (basic.publish) with its header and body frames.
    mutating func publish(_ method: BasicPublish, properties: BasicProperties, body: ByteBuffer, on channel: UInt16) throws(AMQPConnectionError) -> [Action] {
        guard case .open = state else { throw .connectionNotOpen }
        guard let channelState = channels[channel], case .open = channelState.lifecycle else { throw .channelNotOpen(channel) }
        var frames: [AMQPFrame] = [
            .method(channel: channel, .basicPublish(method)),
            .header(channel: channel, ContentHeader(bodySize: UInt64(body.readableBytes), properties: properties)),
        ]
        let chunk = Int(negotiated?.frameMax ?? UInt32(AMQPProtocol.frameMinSize)) - FrameDecoder.overhead
        var rest = body
        while rest.readableBytes > 0 {
            frames.append(.body(channel: channel, rest.readSlice(length: min(chunk, rest.readableBytes))!))
        }
        return [.send(frames)]
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
        if case .closed = state { return [] }
        let failure = AMQPConnectionError.protocolViolation(error)
        var actions = failAll(failure)
        if case .closing = state {
            state = .closed
            actions.append(.closed(failure))
            return actions
        }
        state = .closing(error: failure)
        let close = ConnectionClose(replyCode: error.replyCode.rawValue, replyText: String(error.description.prefix(255)))
        actions.append(.send([.method(channel: 0, .connectionClose(close))]))
        return actions
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

    mutating func received(_ frame: AMQPFrame) -> [Action] {
        if case .heartbeat = frame { return [] }
        do throws(AMQPError) {
            if frame.channel == 0 {
                guard case .method(_, let method) = frame else {
                    throw AMQPError(.unexpectedFrame("content frame on channel 0"), at: 0)
                }
                return try receivedConnectionMethod(method)
            }
            return try receivedChannelFrame(frame)
        } catch {
            return protocolViolation(error)
        }
    }

    private mutating func receivedConnectionMethod(_ method: AMQPMethod) throws(AMQPError) -> [Action] {
        switch (state, method) {
        case (.awaitingStart, .connectionStart(let start)):
            return try receivedStart(start)
        case (.awaitingTune, .connectionTune(let tune)):
            return receivedTune(tune)
        case (.awaitingOpenOk, .connectionOpenOk):
            state = .open
            return [.connected]
        case (.closing(let error), .connectionCloseOk):
            state = .closed
            return [.closed(error)]
        case (.closing(let error), .connectionClose):
            // Both sides closed at once: answer, and finish as if our close-ok had come.
            state = .closed
            return [.send([.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))]), .closed(error)]
        case (.closing, _):
            // After sending close, everything else is discarded until close-ok (spec 2.2.4).
            return []
        case (.closed, _):
            return []
        case (_, .connectionClose(let close)):
            let error = AMQPConnectionError.connectionClosed(
                replyCode: ReplyCode(rawValue: close.replyCode), replyText: close.replyText, classID: close.classID, methodID: close.methodID)
            var actions = failAll(error)
            state = .closed
            actions.append(.send([.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))]))
            actions.append(.closed(error))
            return actions
        case (.open, .connectionBlocked(let blocked)):
            return [.blocked(reason: blocked.reason)]
        case (.open, .connectionUnblocked):
            return [.unblocked]
        case (.open, _) where connectionWaiters.first.map({ $0.classID == method.classID && $0.replies.contains(method.methodID) }) ?? false:
            return [.succeed(connectionWaiters.removeFirst().id, .method(method))]
        default:
            throw AMQPError(.unexpectedFrame("\(method.name) on channel 0 while \(state)"), at: 0)
        }
    }

    private mutating func receivedStart(_ start: ConnectionStart) throws(AMQPError) -> [Action] {
        guard start.versionMajor == 0, start.versionMinor == 9 else {
            return finish(.unsupportedVersion(major: start.versionMajor, minor: start.versionMinor))
        }
        let mechanisms = start.mechanisms.description.split(separator: " ")
        guard mechanisms.contains("PLAIN") else { return finish(.unsupportedMechanism(offered: start.mechanisms.description)) }
        serverProperties = start.serverProperties
        state = .awaitingTune
        var response = ByteBuffer()
        response.writeInteger(UInt8(0))
        response.writeString(configuration.user)
        response.writeInteger(UInt8(0))
        response.writeString(configuration.password)
        let startOk = ConnectionStartOk(
            clientProperties: configuration.startOkProperties, mechanism: "PLAIN", response: response, locale: "en_US")
        return [.send([.method(channel: 0, .connectionStartOk(startOk))])]
    }

    private mutating func receivedTune(_ tune: ConnectionTune) -> [Action] {
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
        return [
            .tuned(result),
            .send([
                .method(channel: 0, .connectionTuneOk(ConnectionTuneOk(channelMax: result.channelMax, frameMax: result.frameMax, heartbeat: result.heartbeat))),
                .method(channel: 0, .connectionOpen(ConnectionOpen(virtualHost: configuration.virtualHost))),
            ]),
        ]
    }

    /// Ends a handshake the client cannot continue: close politely, then report `error`.
    private mutating func finish(_ error: AMQPConnectionError) -> [Action] {
        state = .closing(error: error)
        let close = ConnectionClose(replyCode: ReplyCode.commandInvalid.rawValue, replyText: String(error.description.prefix(255)))
        return [.send([.method(channel: 0, .connectionClose(close))])]
    }

    private mutating func receivedChannelFrame(_ frame: AMQPFrame) throws(AMQPError) -> [Action] {
        switch state {
        case .open: break
        case .closing, .closed: return []
        default: throw AMQPError(.unexpectedFrame("channel \(frame.channel) frame during the handshake"), at: 0)
        }
        let channel = frame.channel
        guard var channelState = channels[channel] else {
            throw AMQPError(.channelError("frame on channel \(channel), which is not open"), at: 0)
        }
        defer { if channels[channel] != nil { channels[channel] = channelState } }

        if case .closing = channelState.lifecycle {
            // Only close-ok (or a crossing close) matters now; deliveries in flight are dropped.
            switch frame {
            case .method(_, .channelCloseOk), .method(_, .channelClose):
                var actions: [Action] = []
                if case .method(_, .channelClose) = frame {
                    actions.append(.send([.method(channel: channel, .channelCloseOk(ChannelCloseOk()))]))
                }
                for waiter in channelState.waiters {
                    actions.append(waiter.classID == ChannelCloseOk.classID && waiter.replies.contains(ChannelCloseOk.methodID)
                        ? .succeed(waiter.id, .method(.channelCloseOk(ChannelCloseOk())))
                        : .fail(waiter.id, .channelNotOpen(channel)))
                }
                channels[channel] = nil
                return actions
            default:
                return []
            }
        }

        switch frame {
        case .header(_, let header):
            return deliverContent(try channelState.receivedHeader(header), channel: channel, state: &channelState)
        case .body(_, let body):
            return deliverContent(try channelState.receivedBody(body), channel: channel, state: &channelState)
        case .heartbeat:
            return []
        case .method(_, let method):
            guard channelState.partial == nil else {
                throw AMQPError(.unexpectedFrame("\(method.name) while content of \(channelState.partial!.method.name) is incomplete"), at: 0)
            }
            return try receivedChannelMethod(method, channel: channel, state: &channelState)
        }
    }

    private mutating func receivedChannelMethod(_ method: AMQPMethod, channel: UInt16, state channelState: inout ChannelState) throws(AMQPError) -> [Action] {
        switch method {
        case .channelClose(let close):
            let error = AMQPConnectionError.channelClosed(
                channel: channel, replyCode: ReplyCode(rawValue: close.replyCode), replyText: close.replyText,
                classID: close.classID, methodID: close.methodID)
            var actions = channelState.waiters.map { Action.fail($0.id, error) }
            channels[channel] = nil
            actions.append(.send([.method(channel: channel, .channelCloseOk(ChannelCloseOk()))]))
            actions.append(.channelClosed(channel: channel, error))
            return actions
        case .basicDeliver, .basicReturn:
            channelState.partial = .init(method: method)
            return []
        case .basicGetOk where channelState.waiters.first?.replies.contains(BasicGetOk.methodID) ?? false:
            channelState.partial = .init(method: method)
            return []
        case .basicAck(let ack):
            return [.confirm(channel: channel, deliveryTag: ack.deliveryTag, multiple: ack.multiple, ack: true)]
        case .basicNack(let nack):
            return [.confirm(channel: channel, deliveryTag: nack.deliveryTag, multiple: nack.multiple, ack: false)]
        case .basicCancel(let cancel):
            return [.consumerCancelled(channel: channel, consumerTag: cancel.consumerTag)]
        case .channelFlow(let flow):
            return [.send([.method(channel: channel, .channelFlowOk(ChannelFlowOk(active: flow.active)))])]
        default:
            guard let waiter = channelState.waiters.first, waiter.classID == method.classID, waiter.replies.contains(method.methodID) else {
                throw AMQPError(.unexpectedFrame("\(method.name) on channel \(channel) answers no request"), at: 0)
            }
            channelState.waiters.removeFirst()
            if case .channelOpenOk = method { channelState.lifecycle = .open }
            return [.succeed(waiter.id, .method(method))]
        }
    }

    private func deliverContent(_ step: ChannelState.ContentStep, channel: UInt16, state channelState: inout ChannelState) -> [Action] {
        guard case .complete(let message) = step else { return [] }
        switch message.method {
        case .basicReturn: return [.returned(channel: channel, message)]
        case .basicGetOk: return [.succeed(channelState.waiters.removeFirst().id, .message(message))]
        default: return [.deliver(channel: channel, message)]
        }
    }

    // MARK: Helpers

    private mutating func makeRequestID() -> RequestID {
        nextRequest += 1
        return RequestID(value: nextRequest)
    }

    /// Fails every waiter on every channel and forgets the channels.
    private mutating func failAll(_ error: AMQPConnectionError) -> [Action] {
        var actions = connectionWaiters.map { Action.fail($0.id, error) }
        connectionWaiters = []
        for channel in channels.keys.sorted() {
            actions += channels[channel]!.waiters.map { Action.fail($0.id, error) }
        }
        channels = [:]
        return actions
    }
}
