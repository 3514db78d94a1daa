import Bytes

/// Identifies one request whose reply a caller is waiting for.
struct RequestID: Hashable, Sendable {
    let value: UInt64
}

/// What a synchronous request is answered with.
enum Reply: Hashable, Sendable {
    case method(AMQPMethod)
    /// `basic.get-ok` with its content.
    case message(AMQPMessage)
}

/// One channel's protocol state: its lifecycle, the replies it waits for, and a message whose
/// content frames are still arriving.
struct ChannelState {
    enum Lifecycle {
        case opening
        case open
        /// We sent `channel.close`; everything but close/close-ok is dropped until close-ok.
        case closing
    }

    struct Waiter {
        let id: RequestID
        let classID: UInt16
        /// Method ids that answer the request (basic.get has two: get-ok and get-empty).
        let replies: [UInt16]

        /// Whether this waits for `channel.close-ok`, i.e. is the client's own `channel.close`.
        var isChannelClose: Bool { classID == ChannelCloseOk.classID && replies.contains(ChannelCloseOk.methodID) }
    }

    /// A content-carrying method waiting for its header and body frames.
    struct PartialMessage {
        let method: AMQPMethod
        var header: ContentHeader?
        var body: ByteBuffer?
    }

    var lifecycle: Lifecycle
    /// Replies are matched in request order, as the server answers synchronous methods in order.
    var waiters: [Waiter] = []
    var partial: PartialMessage?

    init(lifecycle: Lifecycle) {
        self.lifecycle = lifecycle
    }

    /// Applies a content header; returns the message when it completes it (an empty body).
    mutating func receivedHeader(_ header: ContentHeader) throws(AMQPError) -> AMQPMessage? {
        guard partial != nil, partial!.header == nil else { throw AMQPError(.unexpectedFrame("content header without a content method"), at: 0) }
        partial!.header = header
        return completeIfWhole()
    }

    /// Applies a body frame; returns the message when it completes it.
    mutating func receivedBody(_ body: ByteBuffer) throws(AMQPError) -> AMQPMessage? {
        guard partial != nil, let bodySize = partial!.header?.bodySize else {
            throw AMQPError(.unexpectedFrame("body frame without a content header"), at: 0)
        }
        let received = (partial!.body?.readableBytes ?? 0) + body.readableBytes
        guard UInt64(received) <= bodySize else {
            throw AMQPError(.unexpectedFrame("body of \(received) bytes exceeds the header's \(bodySize)"), at: 0)
        }
        if partial!.body == nil {
            // The common single-frame body stays a zero-copy slice.
            partial!.body = body
        } else {
            partial!.body!.writeBuffer(body)
        }
        return completeIfWhole()
    }

    /// The message, moved out of `partial` (not copied) once its body is all there.
    private mutating func completeIfWhole() -> AMQPMessage? {
        guard let bodySize = partial?.header?.bodySize, UInt64(partial?.body?.readableBytes ?? 0) == bodySize else { return nil }
        var done = partial.take()!
        return AMQPMessage(method: done.method, properties: done.header.take()!.properties, body: done.body.take() ?? ByteBuffer())
    }
}
