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

    /// What a content frame (header or body) completes, or the violation it is.
    enum ContentStep {
        case pending
        case complete(AMQPMessage)
    }

    mutating func receivedHeader(_ header: ContentHeader) throws(AMQPError) -> ContentStep {
        guard var partial, partial.header == nil else { throw AMQPError(.unexpectedFrame("content header without a content method"), at: 0) }
        partial.header = header
        self.partial = partial
        return completeIfWhole()
    }

    mutating func receivedBody(_ body: ByteBuffer) throws(AMQPError) -> ContentStep {
        guard var partial, let header = partial.header else { throw AMQPError(.unexpectedFrame("body frame without a content header"), at: 0) }
        let received = (partial.body?.readableBytes ?? 0) + body.readableBytes
        guard UInt64(received) <= header.bodySize else {
            throw AMQPError(.unexpectedFrame("body of \(received) bytes exceeds the header's \(header.bodySize)"), at: 0)
        }
        if partial.body == nil {
            // The common single-frame body stays a zero-copy slice.
            partial.body = body
        } else {
            partial.body!.writeBuffer(body)
        }
        self.partial = partial
        return completeIfWhole()
    }

    private mutating func completeIfWhole() -> ContentStep {
        guard let partial, let header = partial.header, UInt64(partial.body?.readableBytes ?? 0) == header.bodySize else {
            return .pending
        }
        self.partial = nil
        return .complete(AMQPMessage(method: partial.method, properties: header.properties, body: partial.body ?? ByteBuffer()))
    }
}

extension AMQPMethod {
    /// Method ids (in the same class) that answer this request; empty when none is expected
    /// because the method is asynchronous or was sent with `nowait`.
    var replyMethodIDs: [UInt16] {
        guard isSynchronous, !sentWithNoWait else { return [] }
        switch self {
        case .exchangeUnbind: return [ExchangeUnbindOk.methodID]
        case .basicGet: return [BasicGetOk.methodID, BasicGetEmpty.methodID]
        default: return [methodID + 1]
        }
    }

    private var sentWithNoWait: Bool {
        switch self {
        case .exchangeDeclare(let m): m.noWait
        case .exchangeDelete(let m): m.noWait
        case .exchangeBind(let m): m.noWait
        case .exchangeUnbind(let m): m.noWait
        case .queueDeclare(let m): m.noWait
        case .queueBind(let m): m.noWait
        case .queuePurge(let m): m.noWait
        case .queueDelete(let m): m.noWait
        case .basicConsume(let m): m.noWait
        case .basicCancel(let m): m.noWait
        case .confirmSelect(let m): m.noWait
        default: false
        }
    }
}
