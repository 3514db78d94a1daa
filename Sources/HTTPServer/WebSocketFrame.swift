import Bytes

/// One WebSocket frame with its payload unmasked. The RSV bits are always clear: no extension
/// is negotiated.
public struct WebSocketFrame: Sendable, Hashable {
    /// Whether this is the last frame of its message (always true for control frames).
    public var fin: Bool
    /// What the frame carries.
    public var opcode: WebSocketOpcode
    /// The application data, unmasked.
    public var payload: ByteBuffer

    /// A frame; `fin` defaults to a whole message in one frame.
    public init(fin: Bool = true, opcode: WebSocketOpcode, payload: ByteBuffer = ByteBuffer()) {
        self.fin = fin
        self.opcode = opcode
        self.payload = payload
    }

    /// The largest payload of a control frame.
    public static let maxControlPayload = 125
}
