import Bytes

/// A channel of an `AMQPConnection`; methods follow amqp091-go's `Channel`, taking the
/// generated method structs for arguments.
public struct AMQPChannel: Sendable {
    public let connection: AMQPConnection
    /// The channel number on the wire.
    public let number: UInt16

    /// Sends a synchronous method and returns its reply, e.g.
    /// `let ok: QueueDeclareOk = try await channel.call(QueueDeclare(queue: "jobs"))`.
    ///
    /// - Throws: `AMQPConnectionError.channelClosed` when the server refuses (e.g. 404), or
    ///   `.timedOut`; `CancellationError`; `AMQPError` when the method cannot be encoded, or
    ///   `.commandInvalid` when it expects no reply (asynchronous, or `nowait`: use `send`) or
    ///   the reply is not a `Response`.
    public func call<Response: AMQPMethodPayload>(
        _ method: some AMQPMethodPayload, timeout: Duration = .seconds(30)
    ) async throws -> Response {
        guard !method.method.replyMethodIDs.isEmpty else {
            throw AMQPError(.commandInvalid("\(method.method.name) expects no reply; use send"), at: 0)
        }
        guard case .method(let reply)? = try await request(method.method, timeout: timeout), let typed = Response(reply) else {
            throw AMQPError(.commandInvalid("reply to \(method.method.name) is not \(Response.self)"), at: 0)
        }
        return typed
    }

    /// Sends a method that gets no reply: asynchronous ones (ack, nack, reject) or `nowait` ones.
    /// Returns once the frame is queued for the socket.
    public func send(_ method: some AMQPMethodPayload) throws {
        let method = method.method
        guard method.replyMethodIDs.isEmpty else {
            throw AMQPError(.commandInvalid("\(method.name) expects a reply; use call"), at: 0)
        }
        let channel = number
        try connection.sendWithoutReply { machine throws(AMQPConnectionError) in try machine.request(method, on: channel).actions }
    }

    /// Publishes a message (`basic.publish` with header and body frames). Returns once the
    /// frames are queued for the socket; with confirms on, the broker's ack comes as an event.
    public func publish(
        exchange: String = "", routingKey: String, body: ByteBuffer, properties: BasicProperties = BasicProperties(),
        mandatory: Bool = false
    ) throws {
        let publish = BasicPublish(exchange: exchange, routingKey: routingKey, mandatory: mandatory)
        let channel = number
        try connection.sendWithoutReply { machine throws(AMQPConnectionError) in
            try machine.publish(publish, properties: properties, body: body, on: channel)
        }
    }

    /// Fetches one message (`basic.get`), or nil when the queue is empty.
    public func get(queue: String, noAck: Bool = false, timeout: Duration = .seconds(30)) async throws -> AMQPMessage? {
        switch try await request(.basicGet(BasicGet(queue: queue, noAck: noAck)), timeout: timeout) {
        case .message(let message)?: return message
        default: return nil
        }
    }

    /// Starts a consumer; its deliveries arrive on the returned stream, which ends when the
    /// consumer is cancelled and fails when the channel or connection closes. Buffering is
    /// unbounded: bound it with `BasicQos` prefetch.
    public func consume(
        queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: FieldTable = FieldTable(), timeout: Duration = .seconds(30)
    ) async throws -> AMQPConsumer {
        var tag = consumerTag
        let (messages, sink) = AsyncThrowingStream.makeStream(of: AMQPMessage.self)
        let channel = number
        do {
            _ = try await connection.waitForReply(operation: "basic.consume", timeout: timeout) { state throws(AMQPConnectionError) in
                if tag.isEmpty {
                    state.nextConsumerTag += 1
                    tag = "ctag-\(channel)-\(state.nextConsumerTag)"
                }
                // Registered before the request goes out: deliveries can follow consume-ok at once.
                state.consumers[.init(channel: channel, tag: tag)] = sink
                let consume = BasicConsume(queue: queue, consumerTag: tag, noAck: noAck, exclusive: exclusive, arguments: arguments)
                return try state.machine.request(.basicConsume(consume), on: channel)
            }
        } catch {
            connection.removeConsumers { $0 == .init(channel: channel, tag: tag) }
            sink.finish(throwing: error)
            throw error
        }
        return AMQPConsumer(tag: tag, messages: messages)
    }

    /// Acknowledges a delivery.
    public func ack(deliveryTag: UInt64, multiple: Bool = false) throws {
        try send(BasicAck(deliveryTag: deliveryTag, multiple: multiple))
    }

    /// Closes the channel (channel.close / close-ok).
    public func close(timeout: Duration = .seconds(30)) async throws {
        _ = try await request(.channelClose(ChannelClose(replyCode: ReplyCode.replySuccess.rawValue)), timeout: timeout)
        let channel = number
        connection.removeConsumers { $0.channel == channel }
    }

    private func request(_ method: AMQPMethod, timeout: Duration) async throws -> Reply? {
        var scratch = ByteBuffer()
        try FrameEncoder().encode(.method(channel: number, method), into: &scratch)
        let channel = number
        return try await connection.waitForReply(operation: method.name, timeout: timeout) { state throws(AMQPConnectionError) in
            try state.machine.request(method, on: channel)
        }
    }
}

/// A consumer started by `AMQPChannel.consume`.
public struct AMQPConsumer: Sendable {
    /// The consumer tag, for `BasicCancel`.
    public let tag: String
    /// Deliveries in arrival order.
    public let messages: AsyncThrowingStream<AMQPMessage, any Error>
}
