import Bytes

/// What a close frame says (RFC 6455 §5.5.1): a status code and a UTF-8 reason, or nothing.
public struct WebSocketCloseStatus: Sendable, Hashable {
    /// The status code; nil for a close frame with an empty payload (reported as 1005).
    public var code: WebSocketCloseCode?
    /// Why, for people; empty when the frame has none.
    public var reason: String

    /// A status; `code` must be one that may be sent (`isAllowedOnTheWire`) unless nil.
    public init(code: WebSocketCloseCode?, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// The longest reason that fits a control frame after the two-byte code.
    public static let maxReasonBytes = WebSocketFrame.maxControlPayload - 2

    /// Reads a close frame's payload: empty, or a code that may be sent followed by UTF-8.
    /// `offset`, the stream offset of the payload's first byte, places errors in the stream.
    public init(payload: ByteBuffer, at offset: Int = 0) throws(WebSocketError) {
        switch payload.readableBytes {
        case 0:
            break
        case 1:
            throw WebSocketError(.invalidClosePayload, offset: offset)
        default:
            let code = WebSocketCloseCode(rawValue: payload.getInteger(at: payload.readerIndex, as: UInt16.self)!)
            guard code.isAllowedOnTheWire else {
                throw WebSocketError(.invalidCloseCode, offset: offset, value: UInt64(code.rawValue))
            }
            var validator = WebSocketUTF8Validator()
            let invalid = payload.getSlice(at: payload.readerIndex + 2, length: payload.readableBytes - 2)!
                .withUnsafeReadableBytes { validator.validate($0) }
            if let invalid { throw WebSocketError(.invalidCloseReason, offset: offset + 2 + invalid) }
            guard validator.isAtBoundary else { throw WebSocketError(.invalidCloseReason, offset: offset + payload.readableBytes) }
        }
        self.init(checkedPayload: payload)
    }

    /// The status in a close payload already checked, as in a frame from the decoder.
    init(checkedPayload payload: ByteBuffer) {
        guard let code = payload.getInteger(at: payload.readerIndex, as: UInt16.self) else {
            self.init(code: nil)
            return
        }
        let reason = payload.getString(at: payload.readerIndex + 2, length: payload.readableBytes - 2) ?? ""
        self.init(code: WebSocketCloseCode(rawValue: code), reason: reason)
    }

    /// The close frame payload: empty without a code, else the code and as much of the reason as
    /// fits in `maxReasonBytes`, cut at a character boundary.
    public var payload: ByteBuffer {
        guard let code else { return ByteBuffer() }
        precondition(code.isAllowedOnTheWire, "close code \(code) may not be sent")
        var buffer = ByteBuffer(capacity: 2 + min(reason.utf8.count, Self.maxReasonBytes))
        buffer.writeInteger(code.rawValue)
        var used = 0
        for character in reason {
            let size = character.utf8.count
            guard used + size <= Self.maxReasonBytes else { break }
            buffer.writeBytes(character.utf8)
            used += size
        }
        return buffer
    }
}
