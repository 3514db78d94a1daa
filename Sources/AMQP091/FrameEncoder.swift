import Bytes

/// Writes AMQP frames into a `ByteBuffer`, refusing frames larger than the negotiated frame_max
/// and splitting content bodies into body frames that fit.
public struct FrameEncoder: Sendable {
    /// The negotiated frame_max: the largest whole frame (header, payload and frame-end) sent.
    public var maximumFrameSize: Int

    /// - Parameter maximumFrameSize: frame_max; RabbitMQ's default of 128 KiB unless negotiated otherwise.
    public init(maximumFrameSize: Int = 131_072) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Appends one frame. Offsets in errors are relative to where the frame starts in `buffer`.
    public func encode(_ frame: AMQPFrame, into buffer: inout ByteBuffer) throws(AMQPError) {
        switch frame {
        case .method(let channel, let method):
            try writeFrame(type: FrameConstant.method, channel: channel, into: &buffer) { payload throws(AMQPError) in
                payload.writeInteger(method.classID)
                payload.writeInteger(method.methodID)
                try method.encodeArguments(into: &payload)
            }
        case .header(let channel, let header):
            try writeFrame(type: FrameConstant.header, channel: channel, into: &buffer) { payload throws(AMQPError) in
                try header.encode(into: &payload)
            }
        case .body(let channel, let body):
            try writeFrame(type: FrameConstant.body, channel: channel, into: &buffer) { payload in
                payload.writeBuffer(body)
            }
        case .heartbeat:
            try writeFrame(type: FrameConstant.heartbeat, channel: 0, into: &buffer) { _ in }
        }
    }

    /// Appends a content-carrying method (e.g. `basic.publish`), its content header and the body
    /// split into as many body frames as frame_max requires (none for an empty body). All or
    /// nothing: when a frame cannot be encoded, `buffer` is left as it was.
    public func encodeContent(
        channel: UInt16, method: AMQPMethod, properties: BasicProperties, body: ByteBuffer,
        into buffer: inout ByteBuffer
    ) throws(AMQPError) {
        let mark = buffer.writerIndex
        do {
            try encode(.method(channel: channel, method), into: &buffer)
            try encode(.header(channel: channel, ContentHeader(bodySize: UInt64(body.readableBytes), properties: properties)), into: &buffer)
        } catch {
            buffer.moveWriterIndex(to: mark)
            throw error
        }
        // Body frames cannot fail: each is sized to fit frame_max.
        var rest = body
        let chunk = maximumFrameSize - FrameDecoder.overhead
        while rest.readableBytes > 0 {
            let piece = rest.readSlice(length: min(chunk, rest.readableBytes))!
            buffer.writeInteger(FrameConstant.body)
            buffer.writeInteger(channel)
            buffer.writeInteger(UInt32(piece.readableBytes))
            buffer.writeBuffer(piece)
            buffer.writeInteger(FrameConstant.end)
        }
    }

    package func writeFrame(
        type: UInt8, channel: UInt16, into buffer: inout ByteBuffer,
        payload: (inout ByteBuffer) throws(AMQPError) -> Void
    ) throws(AMQPError) {
        let start = buffer.writerIndex
        buffer.writeInteger(type)
        buffer.writeInteger(channel)
        buffer.writeInteger(UInt32(0))
        do {
            try payload(&buffer)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error.shifted(by: -start)
        }
        let size = buffer.writerIndex - start - 7
        guard size <= maximumFrameSize - FrameDecoder.overhead else {
            buffer.moveWriterIndex(to: start)
            throw AMQPError(.frameTooLarge(size: size + FrameDecoder.overhead, limit: maximumFrameSize), at: 0)
        }
        buffer.setInteger(UInt32(size), at: start + 3)
        buffer.writeInteger(FrameConstant.end)
    }
}
