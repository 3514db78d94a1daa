import Bytes

/// Incremental AMQP frame decoder: append bytes in any fragmentation, take out whole frames.
///
/// ```swift
/// var decoder = FrameDecoder()
/// decoder.append(bytesFromSocket)
/// while let frame = try decoder.next() { handle(frame) }
/// ```
///
/// A frame's size is checked against `maximumFrameSize` as soon as its 7-byte header is in,
/// before its payload is buffered. Body payloads are slices of the input (no copy). After an
/// error the stream cannot be resynchronised; `next()` keeps throwing the same error.
public struct FrameDecoder: Sendable {
    /// The negotiated frame_max: the largest whole frame (header, payload and frame-end) accepted.
    public var maximumFrameSize: Int

    /// Bytes received and not yet decoded. The connection's reader reads into it directly (see
    /// `reserveInputSpace`), so one buffer serves read after read.
    var input = ByteBuffer()
    /// Stream offset of `input`'s index 0, so errors report positions in the whole stream.
    private var discarded = 0
    private var failure: AMQPError?

    /// Bytes of frame header (type, channel, size) and frame-end around a payload.
    static let overhead = 8

    /// - Parameter maximumFrameSize: frame_max; before tuning, RabbitMQ's default of 128 KiB.
    public init(maximumFrameSize: Int = 131_072) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedBytes: Int { input.readableBytes }

    /// Adds received bytes.
    public mutating func append(_ bytes: ByteBuffer) {
        if input.readableBytes == 0 {
            // Adopt the caller's buffer instead of copying into ours.
            discarded += input.writerIndex
            input = bytes
            discarded -= input.readerIndex
            return
        }
        compactIfWorthwhile()
        input.writeBuffer(bytes)
    }

    /// Makes room for at least `bytes` more input: storage the decoded frames no longer use is
    /// reused (unless slices handed out still share it), consumed bytes are dropped first.
    mutating func reserveInputSpace(_ bytes: Int) {
        if input.readableBytes == 0 {
            discarded += input.writerIndex
            input.clear()
        } else {
            compactIfWorthwhile()
        }
        input.reserveCapacity(minimumWritableBytes: bytes)
    }

    /// Adds received bytes.
    public mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        compactIfWorthwhile()
        input.writeBytes(bytes)
    }

    /// The next whole frame, or nil when more bytes are needed.
    public mutating func next() throws(AMQPError) -> AMQPFrame? {
        try nextChecked { raw throws(AMQPError) in try raw.frame() }
    }

    /// Applies `interpret` to the next whole frame; a failure sticks, as the stream is lost.
    package mutating func nextChecked<Frame>(_ interpret: (RawFrame) throws(AMQPError) -> Frame) throws(AMQPError) -> Frame? {
        if let failure { throw failure }
        do {
            guard let raw = try nextRawFrame() else { return nil }
            return try interpret(raw)
        } catch {
            failure = error
            throw error
        }
    }

    /// One frame cut from the stream, its size and frame-end checked, its payload not yet decoded.
    package struct RawFrame {
        package let type: UInt8
        package let channel: UInt16
        package let payload: ByteBuffer
        /// Stream offsets of the frame and of its payload.
        package let frameOffset: Int
        package let payloadOffset: Int

        /// The payload decoded; offsets in errors are stream offsets.
        package func frame() throws(AMQPError) -> AMQPFrame {
            var payload = payload
            switch type {
            case FrameConstant.method:
                do {
                    let classID = try payload.readShort("class-id")
                    let methodID = try payload.readShort("method-id")
                    let method = try AMQPMethod.decode(classID: classID, methodID: methodID, from: &payload)
                    try FrameDecoder.expectEnd(of: payload)
                    return .method(channel: channel, method)
                } catch {
                    throw error.shifted(by: payloadOffset)
                }
            case FrameConstant.header:
                do {
                    let header = try ContentHeader(decoding: &payload)
                    try FrameDecoder.expectEnd(of: payload)
                    return .header(channel: channel, header)
                } catch {
                    throw error.shifted(by: payloadOffset)
                }
            case FrameConstant.body:
                return .body(channel: channel, payload)
            case FrameConstant.heartbeat:
                guard channel == 0, payload.readableBytes == 0 else {
                    throw AMQPError(.invalidHeartbeat(channel: channel, size: payload.readableBytes), at: frameOffset)
                }
                return .heartbeat
            default:
                throw AMQPError(.unknownFrameType(type), at: frameOffset)
            }
        }
    }

    private mutating func nextRawFrame() throws(AMQPError) -> RawFrame? {
        let start = input.readerIndex
        guard let type = input.getInteger(at: start, as: UInt8.self),
            let channel = input.getInteger(at: start + 1, as: UInt16.self),
            let size32 = input.getInteger(at: start + 3, as: UInt32.self)
        else { return nil }
        let size = Int(size32)
        let frameOffset = discarded + start
        guard size <= maximumFrameSize - Self.overhead else {
            throw AMQPError(.frameTooLarge(size: size + Self.overhead, limit: maximumFrameSize), at: frameOffset)
        }
        guard input.readableBytes >= size + Self.overhead else { return nil }
        let end = input.getInteger(at: start + 7 + size, as: UInt8.self)!
        guard end == FrameConstant.end else { throw AMQPError(.badFrameEnd(end), at: frameOffset + 7 + size) }

        input.moveReaderIndex(forwardBy: 7)
        let payload = input.readSlice(length: size)!
        input.moveReaderIndex(forwardBy: 1)
        return RawFrame(type: type, channel: channel, payload: payload, frameOffset: frameOffset, payloadOffset: frameOffset + 7)
    }

    package static func expectEnd(of payload: ByteBuffer) throws(AMQPError) {
        guard payload.readableBytes == 0 else {
            throw AMQPError(.trailingBytes(payload.readableBytes), at: payload.readerIndex)
        }
    }

    /// Drops consumed bytes once they are at least half the storage, keeping appends amortised O(1).
    private mutating func compactIfWorthwhile() {
        let consumed = input.readerIndex
        guard consumed > 0, consumed >= input.capacity / 2 else { return }
        discarded += consumed
        input.discardReadBytes()
    }
}
