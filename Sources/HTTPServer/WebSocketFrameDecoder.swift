import Bytes

/// An incremental decoder of the frames a WebSocket client sends (RFC 6455 §5), performing no
/// I/O: the server side of the protocol, so every frame must be masked.
///
/// Hand it bytes as they arrive with `feed(_:)`, then call `next()` until it returns nil (it
/// needs more bytes). Frames come out whole, unmasked, in order; any fragmentation of the input
/// yields the same frames and the same error.
///
/// Besides each frame's syntax (RSV bits clear, known opcode, mask present, minimal length
/// encoding, control frames unfragmented and at most 125 bytes, close payloads of a code that
/// may be sent and a UTF-8 reason), the decoder checks the order of frames in a message (no
/// continuation without a start, no new message inside a fragmented one; control frames may come
/// between fragments), that text messages are UTF-8 and the size limits. These are checked here,
/// on the bytes as they arrive, so that every violation fails at its offending byte: a length
/// over a limit before the payload is buffered, a byte that cannot continue UTF-8 before the
/// rest of its frame has arrived. A failure throws `WebSocketError` with the close code to send;
/// the decoder then keeps failing, since the framing of the rest of the stream is unknown.
///
/// Payloads are unmasked eight bytes at a time while they are copied out of the received
/// buffer, so a payload is touched once; between reads the decoder keeps only a partial header
/// of its own, never the caller's buffer.
public struct WebSocketFrameDecoder: Sendable {
    /// The limits this decoder enforces.
    public let limits: WebSocketLimits

    /// Received bytes not yet decoded: at most a partial header between calls.
    private var buffer = ByteBuffer()
    /// Whether `buffer` was allocated here rather than adopted from `feed`.
    private var ownsBuffer = false
    /// Stream offset of `buffer`'s reader index.
    private var consumed = 0
    /// The frame whose payload is arriving, once its header is in.
    private var frame: FrameInProgress?
    private var failure: WebSocketError?

    /// The opcode (text or binary) of the fragmented message under way.
    private var messageOpcode: WebSocketOpcode?
    /// Payload bytes of the fragmented message's frames so far.
    private var messageSize = 0
    /// Checks the text message under way, across its frames.
    private var utf8 = WebSocketUTF8Validator()

    private struct FrameInProgress {
        var fin: Bool
        var opcode: WebSocketOpcode
        var length: Int
        var maskingKey: WebSocketMaskingKey
        /// Stream offset of the first payload byte.
        var payloadOffset: Int
        /// The payload unmasked so far.
        var payload = ByteBuffer()
        /// Whether the payload belongs to a text message, whose bytes are checked as UTF-8.
        var isText: Bool
    }

    /// A decoder at the start of a client's stream (just after the handshake), enforcing `limits`.
    public init(limits: WebSocketLimits = WebSocketLimits()) {
        self.limits = limits
    }

    /// Whether the decoder sits between messages with nothing buffered: no partial frame, no
    /// unfinished fragmented message.
    public var isIdle: Bool { buffer.readableBytes == 0 && frame == nil && messageOpcode == nil }

    /// Appends received bytes. When nothing is buffered the bytes are adopted without copying.
    public mutating func feed(_ bytes: ByteBuffer) {
        guard buffer.readableBytes > 0 else {
            buffer = bytes
            ownsBuffer = false
            return
        }
        makeOwn()
        buffer.writeBuffer(bytes)
    }

    /// Appends received bytes (copied).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        makeOwn()
        buffer.writeBytes(bytes)
    }

    /// Moves the unconsumed bytes (a partial header) into storage of our own.
    private mutating func makeOwn() {
        if ownsBuffer {
            buffer.discardReadBytes()
        } else {
            var own = ByteBuffer(capacity: 64)
            own.writeBuffer(buffer)
            buffer = own
            ownsBuffer = true
        }
    }

    /// The next whole frame, or nil when more bytes are needed.
    public mutating func next() throws(WebSocketError) -> WebSocketFrame? {
        if let failure { throw failure }
        do {
            if frame == nil {
                guard let header = try readHeader() else { return releaseInput() }
                frame = header
            }
            try receivePayload()
            guard let complete = frame, complete.payload.readableBytes == complete.length else { return releaseInput() }
            frame = nil
            return try finish(complete)
        } catch {
            failure = error
            throw error
        }
    }

    /// Returns nil, first making sure the decoder does not keep the caller's buffer alive.
    private mutating func releaseInput() -> WebSocketFrame? {
        if !ownsBuffer {
            if buffer.readableBytes == 0 {
                buffer = ByteBuffer()
            } else {
                makeOwn()
            }
        }
        return nil
    }

    /// Byte `index` of the header being read, which must be buffered.
    @inline(__always) private func byte(_ index: Int) -> UInt8 {
        buffer.getInteger(at: buffer.readerIndex &+ index, as: UInt8.self)!
    }

    /// Reads and checks a frame header once all of it is buffered, consuming it; checks each
    /// byte as soon as it is there, in stream order, so every feeding fails at the same byte.
    private mutating func readHeader() throws(WebSocketError) -> FrameInProgress? {
        let available = buffer.readableBytes
        guard available >= 1 else { return nil }
        let first = byte(0)
        guard first & 0x70 == 0 else { throw WebSocketError(.reservedBits, offset: consumed) }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else {
            throw WebSocketError(.reservedOpcode, offset: consumed, value: UInt64(first & 0x0F))
        }
        let fin = first & 0x80 != 0
        if opcode.isControl {
            guard fin else { throw WebSocketError(.fragmentedControlFrame, offset: consumed) }
        } else if opcode == .continuation {
            guard messageOpcode != nil else { throw WebSocketError(.unexpectedContinuation, offset: consumed) }
        } else {
            guard messageOpcode == nil else { throw WebSocketError(.expectedContinuation, offset: consumed) }
        }

        guard available >= 2 else { return nil }
        let second = byte(1)
        guard second & 0x80 != 0 else { throw WebSocketError(.unmaskedFrame, offset: consumed &+ 1) }
        let shortLength = Int(second & 0x7F)
        if opcode.isControl && shortLength > WebSocketFrame.maxControlPayload {
            throw WebSocketError(.controlFrameTooLong, offset: consumed &+ 1)
        }
        let length: Int
        let lengthEnd: Int
        switch shortLength {
        case 126:
            guard available >= 4 else { return nil }
            length = Int(buffer.getInteger(at: buffer.readerIndex &+ 2, as: UInt16.self)!)
            guard length >= 126 else { throw WebSocketError(.nonMinimalLength, offset: consumed &+ 2, value: UInt64(length)) }
            lengthEnd = 4
        case 127:
            guard available >= 3 else { return nil }
            guard byte(2) & 0x80 == 0 else { throw WebSocketError(.invalidLength, offset: consumed &+ 2) }
            guard available >= 10 else { return nil }
            let long = buffer.getInteger(at: buffer.readerIndex &+ 2, as: UInt64.self)!
            guard long > 0xFFFF else { throw WebSocketError(.nonMinimalLength, offset: consumed &+ 2, value: long) }
            length = Int(long)  // below 2^63: the high bit is clear
            lengthEnd = 10
        default:
            length = shortLength
            lengthEnd = 2
        }
        let lengthOffset = consumed &+ (lengthEnd == 2 ? 1 : 2)
        guard length <= limits.maxFrameSize else {
            throw WebSocketError(.frameTooLarge, offset: lengthOffset, value: UInt64(length), limit: limits.maxFrameSize)
        }
        if !opcode.isControl {
            let total = (opcode == .continuation ? messageSize : 0) &+ length
            guard total <= limits.maxMessageSize else {
                throw WebSocketError(.messageTooLarge, offset: lengthOffset, value: UInt64(total), limit: limits.maxMessageSize)
            }
        }

        guard available >= lengthEnd &+ 4 else { return nil }
        let key = WebSocketMaskingKey(buffer.getInteger(at: buffer.readerIndex &+ lengthEnd, as: UInt32.self)!)
        let headerLength = lengthEnd &+ 4
        buffer.moveReaderIndex(forwardBy: headerLength)
        consumed &+= headerLength
        let isText = opcode == .text || (opcode == .continuation && messageOpcode == .text)
        return FrameInProgress(fin: fin, opcode: opcode, length: length, maskingKey: key, payloadOffset: consumed, isText: isText)
    }

    /// Unmasks the buffered payload bytes of the current frame into its payload, checking text
    /// as it goes.
    private mutating func receivePayload() throws(WebSocketError) {
        guard var current = frame else { return }
        let received = current.payload.readableBytes
        let count = min(current.length &- received, buffer.readableBytes)
        guard count > 0 else { return }
        // Not left in `frame` while its payload grows, so the payload is not copied on write.
        frame = nil
        if received == 0 { current.payload = ByteBuffer(capacity: count) }
        let key = current.maskingKey
        _ = buffer.withUnsafeReadableBytes { source in
            current.payload.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { destination in
                key.apply(from: source.baseAddress!, to: destination.baseAddress!, count: count, position: received)
                return count
            }
        }
        if current.isText {
            let invalid = current.payload.withUnsafeReadableBytes { utf8.validate(UnsafeRawBufferPointer(rebasing: $0[received...])) }
            if let invalid { throw WebSocketError(.invalidUTF8, offset: consumed &+ invalid) }
        }
        buffer.moveReaderIndex(forwardBy: count)
        consumed &+= count
        frame = current
    }

    /// Checks what can only be checked once a frame is whole, and moves the message state on.
    private mutating func finish(_ complete: FrameInProgress) throws(WebSocketError) -> WebSocketFrame {
        switch complete.opcode {
        case .close:
            _ = try WebSocketCloseStatus(payload: complete.payload, at: complete.payloadOffset)
        case .ping, .pong:
            break
        case .text, .binary, .continuation:
            if complete.fin {
                if complete.isText && !utf8.isAtBoundary { throw WebSocketError(.invalidUTF8, offset: consumed) }
                messageOpcode = nil
                messageSize = 0
                utf8.reset()
            } else {
                if complete.opcode != .continuation { messageOpcode = complete.opcode }
                messageSize &+= complete.length
            }
        }
        return WebSocketFrame(fin: complete.fin, opcode: complete.opcode, payload: complete.payload)
    }
}
