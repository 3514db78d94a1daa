import Bytes

/// A message encoded once as the frame a server sends, so that the same update can go to many
/// connections without being encoded again for each: the frame's bytes are shared, not copied.
public struct WebSocketPreparedMessage: Sendable {
    /// The whole frame: header and unmasked payload.
    public let frame: ByteBuffer

    /// `message` as one unfragmented server frame.
    public init(_ message: WebSocketMessage) {
        let frame = switch message {
        case .text(let text): WebSocketFrame(opcode: .text, payload: ByteBuffer(string: text))
        case .binary(let bytes): WebSocketFrame(opcode: .binary, payload: bytes)
        }
        do {
            self.frame = try WebSocketFrameEncoder.encoded(frame)
        } catch {
            preconditionFailure("data frames always encode: \(error)")
        }
    }

    /// A text message of UTF-8 `bytes`, which the caller vouches for (as JSON writers produce).
    public init(text bytes: [UInt8]) {
        var frame = ByteBuffer(capacity: WebSocketFrameEncoder.maxHeaderSize + bytes.count)
        do {
            try WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .text, payload: ByteBuffer(bytes: bytes)), into: &frame)
        } catch {
            preconditionFailure("data frames always encode: \(error)")
        }
        self.frame = frame
    }
}
