/// A WebSocket protocol violation found in a peer's frames, or a frame that cannot be encoded.
///
/// A struct with a `code` rather than an enum, so that new kinds of violation can be added
/// without breaking code that switches over them. Each error carries the close code to send the
/// peer (`closeCode`) and where the problem is: `offset` counts bytes from the first byte fed to
/// the decoder (0 for an encoding error). After an error the stream cannot be resynchronised, so
/// the endpoint sends a close frame with `closeCode` and `closeReason` and closes the connection.
///
/// ```swift
/// catch WebSocketError.Code.invalidUTF8 { ... }
/// ```
public struct WebSocketError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of violation.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case reservedBits, reservedOpcode, unmaskedFrame, fragmentedControlFrame, controlFrameTooLong
            case nonMinimalLength, invalidLength, frameTooLarge, messageTooLarge
            case unexpectedContinuation, expectedContinuation, invalidUTF8
            case invalidClosePayload, invalidCloseCode, invalidCloseReason
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// RSV1, RSV2 or RSV3 is set, and no extension was negotiated that defines it.
        public static let reservedBits = Code(.reservedBits)
        /// An opcode of 3–7 or 0xB–0xF.
        public static let reservedOpcode = Code(.reservedOpcode)
        /// A client frame without a masking key.
        public static let unmaskedFrame = Code(.unmaskedFrame)
        /// A control frame (close, ping, pong) without FIN.
        public static let fragmentedControlFrame = Code(.fragmentedControlFrame)
        /// A control frame whose payload is longer than 125 bytes.
        public static let controlFrameTooLong = Code(.controlFrameTooLong)
        /// A length in a longer form than needed (16 bits for under 126, 64 bits for under 65,536).
        public static let nonMinimalLength = Code(.nonMinimalLength)
        /// A 64-bit length with its most significant bit set.
        public static let invalidLength = Code(.invalidLength)
        /// A frame longer than `WebSocketLimits.maxFrameSize`.
        public static let frameTooLarge = Code(.frameTooLarge)
        /// A message whose frames add up to more than `WebSocketLimits.maxMessageSize`.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// A continuation frame with no fragmented message to continue.
        public static let unexpectedContinuation = Code(.unexpectedContinuation)
        /// A text or binary frame while a fragmented message is unfinished.
        public static let expectedContinuation = Code(.expectedContinuation)
        /// A text message that is not UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A close payload of one byte, too short for a code.
        public static let invalidClosePayload = Code(.invalidClosePayload)
        /// A close code that may not be sent (RFC 6455 §7.4: 1004–1006, 1015, unassigned ones).
        public static let invalidCloseCode = Code(.invalidCloseCode)
        /// A close reason that is not UTF-8.
        public static let invalidCloseReason = Code(.invalidCloseReason)

        public var description: String { base.rawValue }

        /// Lets a `catch` clause match on a code: `catch WebSocketError.Code.invalidUTF8`.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? WebSocketError)?.code == code
        }
    }

    /// What kind of violation.
    public let code: Code
    /// Where: bytes from the first byte fed to the decoder to the offending byte (for a text
    /// message cut short in a UTF-8 sequence, the end of its last frame); 0 when encoding.
    public let offset: Int
    /// The offending number, where there is one: the opcode, the length, the close code.
    public let value: UInt64?
    /// The limit exceeded, for `frameTooLarge` and `messageTooLarge`.
    public let limit: Int?

    init(_ code: Code, offset: Int, value: UInt64? = nil, limit: Int? = nil) {
        self.code = code
        self.offset = offset
        self.value = value
        self.limit = limit
    }

    /// The close code to send the peer: 1009 for the size limits, 1007 for text that is not
    /// UTF-8, 1002 for the rest.
    public var closeCode: WebSocketCloseCode {
        switch code {
        case .frameTooLarge, .messageTooLarge: .messageTooBig
        case .invalidUTF8, .invalidCloseReason: .invalidPayloadData
        default: .protocolError
        }
    }

    /// A short reason for the close frame (well within its 123 bytes).
    public var closeReason: String {
        switch code {
        case .reservedBits: "reserved bits set"
        case .reservedOpcode: "reserved opcode \(value ?? 0)"
        case .unmaskedFrame: "client frame not masked"
        case .fragmentedControlFrame: "fragmented control frame"
        case .controlFrameTooLong: value.map { "control frame of \($0) bytes" } ?? "control frame over 125 bytes"
        case .nonMinimalLength: "length not minimally encoded"
        case .invalidLength: "64-bit length with the high bit set"
        case .frameTooLarge: "frame of \(value ?? 0) bytes over \(limit ?? 0)"
        case .messageTooLarge: "message over \(limit ?? 0) bytes"
        case .unexpectedContinuation: "continuation without a message"
        case .expectedContinuation: "new message inside a fragmented one"
        case .invalidUTF8: "text not UTF-8"
        case .invalidClosePayload: "close payload of 1 byte"
        case .invalidCloseCode: "close code \(value ?? 0) not allowed"
        case .invalidCloseReason: "close reason not UTF-8"
        default: code.description
        }
    }

    /// The reason, the offset and the close code, for logs.
    public var description: String { "WebSocket \(closeCode): \(closeReason) at offset \(offset)" }
}
