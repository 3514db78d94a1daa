/// A protocol violation found while decoding or encoding AMQP, or while driving a connection.
///
/// `offset` says where: for the frame decoder, bytes from the first byte it was fed; for a
/// value encoded on its own, bytes from the start of that value. `replyCode` is the code a
/// peer closes the connection (or channel) with for this violation.
public struct AMQPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Hashable, Sendable {
        /// A frame's payload is larger than the negotiated frame_max allows.
        case frameTooLarge(size: Int, limit: Int)
        /// The frame type octet is not method, header, body or heartbeat.
        case unknownFrameType(UInt8)
        /// The octet after the payload is not the frame-end marker 0xCE.
        case badFrameEnd(UInt8)
        /// A heartbeat frame on a channel other than 0 or with a payload.
        case invalidHeartbeat(channel: UInt16, size: Int)
        /// A value runs past the end of its frame or its enclosing table/array.
        case truncated(String)
        /// Bytes left inside a method or header frame after its last field.
        case trailingBytes(Int)
        /// No method with these ids exists.
        case unknownMethod(classID: UInt16, methodID: UInt16)
        /// A content header for a class that has no content.
        case unknownContentClass(UInt16)
        /// A content header's weight field is not zero.
        case nonZeroWeight(UInt16)
        /// The property flags name properties the class does not have.
        case unknownPropertyFlags(UInt16)
        /// A field-table value type octet that is not one of RabbitMQ's types.
        case unknownFieldType(UInt8)
        /// A short string or table key that is not valid UTF-8.
        case invalidUTF8(String)
        /// Tables or arrays nested deeper than the limit.
        case nestingTooDeep(limit: Int)
        /// A short string longer than 255 bytes, or a long value longer than 2^32-1 (encoding).
        case valueTooLong(String, length: Int)
        /// A frame that the connection or channel state does not allow now.
        case unexpectedFrame(String)
        /// A method on a channel that is not open, or a channel number out of range.
        case channelError(String)
        /// A method that is valid on the wire but not acceptable here.
        case commandInvalid(String)
    }

    /// What was wrong.
    public var reason: Reason
    /// Where, in bytes (see the type's description for what it counts from).
    public var offset: Int

    /// An error for `reason` found at `offset`.
    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// The AMQP reply code for this violation.
    public var replyCode: ReplyCode {
        switch reason {
        case .frameTooLarge, .unknownFrameType, .badFrameEnd, .invalidHeartbeat: .frameError
        case .truncated, .trailingBytes, .nonZeroWeight, .unknownPropertyFlags, .unknownFieldType, .invalidUTF8,
            .nestingTooDeep, .valueTooLong:
            .syntaxError
        case .unknownMethod, .unknownContentClass, .commandInvalid: .commandInvalid
        case .unexpectedFrame: .unexpectedFrame
        case .channelError: .channelError
        }
    }

    /// The same error with its offset moved by `delta` (to report it relative to an outer start).
    package func shifted(by delta: Int) -> AMQPError {
        AMQPError(reason, at: offset + delta)
    }

    public var description: String {
        let what =
            switch reason {
            case .frameTooLarge(let size, let limit): "frame of \(size) bytes exceeds frame_max \(limit)"
            case .unknownFrameType(let type): "unknown frame type \(type)"
            case .badFrameEnd(let octet): "frame end is 0x\(String(octet, radix: 16)), not 0xce"
            case .invalidHeartbeat(let channel, let size): "heartbeat on channel \(channel) with \(size) payload bytes"
            case .truncated(let field): "\(field) runs past the end of its frame or container"
            case .trailingBytes(let count): "\(count) bytes left over after the last field"
            case .unknownMethod(let classID, let methodID): "unknown method \(classID).\(methodID)"
            case .unknownContentClass(let classID): "content header for class \(classID), which has no content"
            case .nonZeroWeight(let weight): "content header weight \(weight), must be 0"
            case .unknownPropertyFlags(let flags): "property flags 0x\(String(flags, radix: 16)) name unknown properties"
            case .unknownFieldType(let type): "unknown field value type 0x\(String(type, radix: 16))"
            case .invalidUTF8(let field): "\(field) is not valid UTF-8"
            case .nestingTooDeep(let limit): "tables or arrays nested deeper than \(limit)"
            case .valueTooLong(let field, let length): "\(field) of \(length) bytes is too long for its wire type"
            case .unexpectedFrame(let text): "unexpected frame: \(text)"
            case .channelError(let text): "channel error: \(text)"
            case .commandInvalid(let text): "invalid command: \(text)"
            }
        return "\(what) (offset \(offset), reply \(replyCode.rawValue) \(replyCode))"
    }
}
