/// What a WebSocket frame carries (RFC 6455 §5.2). The reserved opcodes 3–7 and 0xB–0xF have
/// no case: a frame with one is a protocol error.
public enum WebSocketOpcode: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// A further fragment of the message a text or binary frame started.
    case continuation = 0x0
    /// A text message (or its first fragment): UTF-8.
    case text = 0x1
    /// A binary message (or its first fragment).
    case binary = 0x2
    /// The closing handshake: an optional status code and reason.
    case close = 0x8
    /// A ping, to be answered with a pong carrying the same payload.
    case ping = 0x9
    /// A pong: the answer to a ping, or an unsolicited heartbeat.
    case pong = 0xA

    /// Close, ping and pong: at most 125 bytes, never fragmented, allowed between fragments.
    public var isControl: Bool { rawValue & 0x8 != 0 }

    public var description: String {
        switch self {
        case .continuation: "continuation"
        case .text: "text"
        case .binary: "binary"
        case .close: "close"
        case .ping: "ping"
        case .pong: "pong"
        }
    }
}
