import Bytes

/// Joins the data frames of `WebSocketFrameDecoder` into messages.
///
/// The decoder has already checked the order of the frames, the UTF-8 of text and the message
/// size, so joining cannot fail. A message sent in one frame is handed on without copying its
/// payload; fragments are appended to the first one's buffer.
public struct WebSocketMessageAssembler: Sendable {
    /// Text or binary, while a fragmented message is under way.
    private var opcode: WebSocketOpcode?
    private var fragments = ByteBuffer()

    /// An assembler between messages.
    public init() {}

    /// Takes a text, binary or continuation frame; returns the message it completes, if any.
    public mutating func append(_ frame: WebSocketFrame) -> WebSocketMessage? {
        precondition(!frame.opcode.isControl, "control frames are not part of a message")
        if frame.opcode == .continuation {
            guard let opcode else { preconditionFailure("continuation without a message") }
            fragments.writeBuffer(frame.payload)
            guard frame.fin else { return nil }
            let payload = fragments
            self.opcode = nil
            fragments = ByteBuffer()
            return Self.message(opcode, payload)
        }
        precondition(opcode == nil, "new message inside a fragmented one")
        guard frame.fin else {
            opcode = frame.opcode
            fragments = frame.payload
            return nil
        }
        return Self.message(frame.opcode, frame.payload)
    }

    private static func message(_ opcode: WebSocketOpcode, _ payload: ByteBuffer) -> WebSocketMessage {
        opcode == .text ? .text(String(decoding: payload.readableBytesView, as: UTF8.self)) : .binary(payload)
    }
}
