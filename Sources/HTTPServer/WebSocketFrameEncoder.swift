import Bytes

/// Writes WebSocket frames (RFC 6455 §5.2): unmasked, as a server sends them, or masked with a
/// key, as a client must. Lengths take the shortest of the 7, 16 and 64-bit forms.
public enum WebSocketFrameEncoder {
    /// The most header bytes a frame has: 2, an 8-byte length and a 4-byte masking key.
    public static let maxHeaderSize = 14

    /// Appends `frame` to `buffer`, masked with `maskingKey` when one is given. Throws (offset 0)
    /// for a control frame that is fragmented or longer than 125 bytes, leaving `buffer` as it was.
    public static func encode(
        _ frame: WebSocketFrame, maskingKey: WebSocketMaskingKey? = nil, into buffer: inout ByteBuffer
    ) throws(WebSocketError) {
        let length = frame.payload.readableBytes
        if frame.opcode.isControl {
            guard frame.fin else { throw WebSocketError(.fragmentedControlFrame, offset: 0) }
            guard length <= WebSocketFrame.maxControlPayload else {
                throw WebSocketError(.controlFrameTooLong, offset: 0, value: UInt64(length))
            }
        }
        buffer.reserveCapacity(minimumWritableBytes: maxHeaderSize + length)
        buffer.writeInteger((frame.fin ? 0x80 : 0) | frame.opcode.rawValue)
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        switch length {
        case 0...125:
            buffer.writeInteger(maskBit | UInt8(length))
        case 126...0xFFFF:
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(length))
        default:
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(length))
        }
        guard let maskingKey else {
            buffer.writeBuffer(frame.payload)
            return
        }
        buffer.writeInteger(maskingKey.value)
        frame.payload.withUnsafeReadableBytes { source in
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { destination in
                if length > 0 { maskingKey.apply(from: source.baseAddress!, to: destination.baseAddress!, count: length, position: 0) }
                return length
            }
        }
    }

    /// `frame` encoded on its own.
    public static func encoded(_ frame: WebSocketFrame, maskingKey: WebSocketMaskingKey? = nil) throws(WebSocketError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try encode(frame, maskingKey: maskingKey, into: &buffer)
        return buffer
    }
}
