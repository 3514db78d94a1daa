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
        if let failure { throw failure }
        do {
            return try decodeFrame()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func decodeFrame() throws(AMQPError) -> AMQPFrame? {
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
        var payload = input.readSlice(length: size)!
        input.moveReaderIndex(forwardBy: 1)
        let payloadOffset = frameOffset + 7
        switch type {
        case FrameConstant.method:
            do {
                let classID = try payload.readShort("class-id")
                let methodID = try payload.readShort("method-id")
                let method = try AMQPMethod.decode(classID: classID, methodID: methodID, from: &payload)
                try Self.expectEnd(of: payload)
                return .method(channel: channel, method)
            } catch {
                throw error.shifted(by: payloadOffset)
            }
        case FrameConstant.header:
            do {
                let header = try ContentHeader(decoding: &payload)
                try Self.expectEnd(of: payload)
                return .header(channel: channel, header)
            } catch {
                throw error.shifted(by: payloadOffset)
            }
        case FrameConstant.body:
            return .body(channel: channel, payload)
        case FrameConstant.heartbeat:
            guard channel == 0, size == 0 else {
                throw AMQPError(.invalidHeartbeat(channel: channel, size: size), at: frameOffset)
            }
            return .heartbeat
        default:
            throw AMQPError(.unknownFrameType(type), at: frameOffset)
        }
    }

    private static func expectEnd(of payload: ByteBuffer) throws(AMQPError) {
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
