import Bytes

/// A whole WebSocket data message, its fragments joined.
public enum WebSocketMessage: Sendable, Hashable {
    /// A text message; the decoder has checked that it is UTF-8.
    case text(String)
    /// A binary message.
    case binary(ByteBuffer)
}
