import Bytes
import Synchronization

/// A channel of an `AMQPConnection`; methods follow amqp091-go's `Channel`, taking the
/// generated method structs for arguments.
public struct AMQPChannel: Sendable {
    /// The connection the channel belongs to.
    public let connection: AMQPConnection
    /// The channel number on the wire.
    public let number: UInt16
    /// Tells this channel from a later one that reuses its number.
    let incarnation: UInt64

    /// Sends a synchronous method and returns its reply, typed by the method:
    /// `let ok = try await channel.call(QueueDeclare(queue: "jobs"))` is a `QueueDeclareOk`.
    ///
    /// - Throws: `.channelClosed` when the server refuses (e.g. 404), `.timedOut`, `.cancelled`;
    ///   `.invalidMethod` when the method cannot be encoded or was given `noWait` (it then gets
    ///   no reply: use `send`).
    public func call<Method: AMQPSynchronousMethod>(_ method: Method, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> Method.Reply {
        guard !method.method.replyMethodIDs.isEmpty else {
            throw .invalidMethod(AMQPError(.commandInvalid("\(method.method.name) with nowait expects no reply; use send"), at: 0))
        }
        // The state machine matched the reply to the request by its method id, so it is a `Reply`.
        guard case .method(let reply)? = try await request(method.method, timeout: timeout), let typed = Method.Reply(reply) else {
            throw .protocolViolation(AMQPError(.unexpectedFrame("reply to \(method.method.name) is not \(Method.Reply.self)"), at: 0))
        }
        return typed
    }

    /// Sends a method that gets no reply: asynchronous ones (ack, nack, reject) or `nowait` ones.
    /// Returns once the frame is queued for the socket.
    public func send(_ method: some AMQPMethodPayload) throws(AMQPConnectionError) {
        let method = method.method
        guard method.replyMethodIDs.isEmpty else {
            throw .invalidMethod(AMQPError(.commandInvalid("\(method.name) expects a reply; use call"), at: 0))
        }
        try connection.sendWithoutReply(method, on: number, incarnation: incarnation)
    }

    /// Sends an ack/nack/reject for a delivery of this channel incarnation, or reports it stale.
    func settle(_ method: AMQPMethod, deliveryTag: UInt64) throws(AMQPConnectionError) {
        do {
            try connection.sendWithoutReply(method, on: number, incarnation: incarnation)
        } catch {
            // Settling cannot fail to encode: every error means this channel is gone (closed, or
            // its connection lost).
            throw .staleDelivery(channel: number, deliveryTag: deliveryTag)
        }
    }

    /// Publishes a message (`basic.publish` with header and body frames). Returns once the
    /// frames are queued for the socket; with confirms on, the broker's ack comes as an event
    /// (use `publishConfirmed` to await it). Does not wait while the server blocks the
    /// connection: see `AMQPConnection.waitUntilUnblocked`. On a channel in confirm mode it
    /// counts towards the confirm window but does not wait for room in it.
    ///
    /// - Throws: `.invalidMethod` when the message cannot be encoded (a routing key over 255
    ///   bytes, say; nothing is sent), the channel's or connection's error when either is closed.
    public func publish(
        exchange: String = "", routingKey: String, body: ByteBuffer, properties: BasicProperties = BasicProperties(),
        mandatory: Bool = false
    ) throws(AMQPConnectionError) {
        let publish = BasicPublish(exchange: exchange, routingKey: routingKey, mandatory: mandatory)
        try connection.sendPublish(try encode(publish, properties, body), on: number, incarnation: incarnation)
    }

    /// The frames of a publish, encoded before taking the connection's lock, which the reader
    /// needs too: the bytes are only appended under it.
    private func encode(_ publish: BasicPublish, _ properties: BasicProperties, _ body: ByteBuffer) throws(AMQPConnectionError) -> ByteBuffer {
        let encoder = FrameEncoder(maximumFrameSize: connection.frameMax.load(ordering: .relaxed))
        var frames = ByteBuffer(capacity: body.readableBytes + Self.publishOverheadEstimate)
        do throws(AMQPError) {
            try encoder.encodeContent(channel: number, method: .basicPublish(publish), properties: properties, body: body, into: &frames)
        } catch {
            throw .invalidMethod(error)
        }
        return frames
    }

    /// Room for a publish's method and header frames, so the buffer rarely grows.
    private static let publishOverheadEstimate = 512

    /// Puts the channel in confirm mode (`confirm.select`) with room for `window` unconfirmed
    /// publishes; `publishConfirmed` waits while the window is full, so at most `window`
    /// confirmed publishes are ever outstanding.
    public func confirmSelect(window: Int = 1024, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        try await connection.enableConfirms(on: number, incarnation: incarnation, window: window, timeout: timeout)
    }

    /// Publishes a message and waits for the broker's verdict. Needs `confirmSelect()` first.
    ///
    /// Waits, in order: for room in the confirm window and for the server to unblock the
    /// connection (publishes leave in call order), then for the broker's ack or nack. At most
    /// `window` publishes are outstanding on the channel at any time. With `mandatory`, a
    /// message no queue takes yields `.returned`: such a publish carries its confirm sequence
    /// number in an `x-publish-sequence` header (an int64 added to `properties.headers`), which
    /// `basic.return` echoes, so a return is matched to its publish even when other publishes are
    /// outstanding. Consumers of the message see that header too.
    ///
    /// - Parameter timeout: bounds the whole wait.
    /// - Throws: `.blockedTimedOut` when the timeout hits while the server blocks the
    ///   connection, `.timedOut` otherwise; the channel's or connection's error when either
    ///   closes before the verdict (the message may or may not have been routed);
    ///   `.confirmsNotEnabled`; `.invalidMethod` when the message cannot be encoded; `.cancelled`.
    public func publishConfirmed(
        exchange: String = "", routingKey: String, body: ByteBuffer, properties: BasicProperties = BasicProperties(),
        mandatory: Bool = false, timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) -> PublishConfirmation {
        let publish = BasicPublish(exchange: exchange, routingKey: routingKey, mandatory: mandatory)
        // A mandatory publish is encoded once its sequence number is known; any other ahead.
        let content: AMQPConnection.PublishContent =
            mandatory ? .mandatory(publish, properties, body) : .encoded(try encode(publish, properties, body))
        return try await connection.publishConfirmed(on: number, incarnation: incarnation, content, timeout: timeout)
    }

    /// Limits unacknowledged deliveries (`basic.qos`): per consumer, or for the whole channel
    /// with `global`. This is also what bounds each consumer's client-side buffer.
    public func qos(prefetchCount: UInt16, prefetchSize: UInt32 = 0, global: Bool = false, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        _ = try await call(BasicQos(prefetchSize: prefetchSize, prefetchCount: prefetchCount, global: global), timeout: timeout)
    }

    /// Fetches one message (`basic.get`), or nil when the queue is empty.
    public func get(queue: String, noAck: Bool = false, timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> AMQPMessage? {
        switch try await request(.basicGet(BasicGet(queue: queue, noAck: noAck)), timeout: timeout) {
        case .message(let message)?: return message
        default: return nil
        }
    }

    /// Starts a consumer (`basic.consume`); see `AMQPConsumer` for how its sequence ends and
    /// what bounds its buffer.
    ///
    /// - Parameters:
    ///   - consumerTag: the consumer's name on this channel; empty gets a generated one.
    ///   - noAck: deliveries count as acknowledged when sent (no `ack` needed, no prefetch limit).
    ///   - exclusive: no other consumer may consume from the queue while this one does.
    /// - Throws: `.channelClosed` when the broker refuses, e.g. 403
    ///   ACCESS_REFUSED when another consumer holds the queue exclusively (or this one asks for
    ///   exclusivity of a queue that has consumers), 404 for a missing queue;
    ///   `.consumerTagInUse` when this channel already has a consumer with `consumerTag`.
    public func consume(
        queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws(AMQPConnectionError) -> AMQPConsumer {
        let deliveries = DeliveryQueue()
        do {
            let consume = BasicConsume(queue: queue, consumerTag: consumerTag, noAck: noAck, exclusive: exclusive, arguments: arguments)
            let tag = try await self.consume(consume, into: AMQPConnection.ConsumerSink(queue: deliveries), timeout: timeout)
            return AMQPConsumer(tag: tag, deliveries: deliveries, channel: self)
        } catch {
            deliveries.end(error)
            throw error
        }
    }

    /// Starts a consumer whose deliveries go to `sink`; returns its tag (generated when empty).
    /// On failure nothing stays registered, and `sink` is left as it was.
    func consume(_ consume: BasicConsume, into sink: AMQPConnection.ConsumerSink, timeout: Duration) async throws(AMQPConnectionError) -> String {
        var consume = consume
        var registered = false
        let channel = number
        let incarnation = incarnation
        do {
            _ = try await connection.waitForReply(operation: "basic.consume", timeout: timeout) { state throws(AMQPConnectionError) in
                try state.requireLive(channel, incarnation)
                if consume.consumerTag.isEmpty {
                    state.nextConsumerTag += 1
                    consume.consumerTag = "ctag-\(channel)-\(state.nextConsumerTag)"
                }
                let key = AMQPConnection.ConsumerKey(channel: channel, tag: consume.consumerTag)
                // A second registration would orphan the first consumer's sequence, and the broker
                // would close the whole connection (530 NOT_ALLOWED) for the reused tag.
                guard state.consumers[key] == nil else {
                    throw .consumerTagInUse(channel: channel, consumerTag: consume.consumerTag)
                }
                let request = try state.request(.basicConsume(consume), on: channel)
                // Registered before the request goes out: deliveries can follow consume-ok at once.
                state.consumers[key] = sink
                state.cancelledConsumers[key] = nil
                registered = true
                return request
            }
        } catch {
            if registered { connection.forgetConsumer(.init(channel: channel, tag: consume.consumerTag), sink: sink) }
            throw error
        }
        return consume.consumerTag
    }

    /// Acknowledges a delivery by tag (for `get`; consumers use `AMQPDelivery.ack`).
    public func ack(deliveryTag: UInt64, multiple: Bool = false) throws(AMQPConnectionError) {
        try send(BasicAck(deliveryTag: deliveryTag, multiple: multiple))
    }

    /// Closes the channel (channel.close / close-ok). Its consumers' sequences end, and its
    /// publishes still awaiting a confirm fail with `AMQPConnectionError.channelNotOpen`.
    public func close(timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        _ = try await request(.channelClose(ChannelClose(replyCode: ReplyCode.replySuccess.rawValue)), timeout: timeout)
        connection.channelClosedByClient(number, incarnation: incarnation)
    }

    private func request(_ method: AMQPMethod, timeout: Duration) async throws(AMQPConnectionError) -> Reply? {
        let channel = number
        let incarnation = incarnation
        return try await connection.waitForReply(operation: method.name, timeout: timeout) { state throws(AMQPConnectionError) in
            try state.requireLive(channel, incarnation)
            return try state.request(method, on: channel)
        }
    }
}

extension AMQPChannel {
    /// Whether both handles name the same channel incarnation of the same connection.
    func isSame(as other: AMQPChannel) -> Bool {
        connection === other.connection && number == other.number && incarnation == other.incarnation
    }

    /// Whether the channel is open: neither side has closed it, and its connection is open.
    public var isOpen: Bool {
        connection.state.withLock { $0.finished == nil && $0.liveChannels[number] == incarnation }
    }
}
