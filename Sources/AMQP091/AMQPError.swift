/// A protocol violation found while decoding or encoding AMQP, or while driving a connection.
///
/// A struct with a `code` rather than an enum, so that new kinds of violation can be added
/// without breaking code that matches on them (`catch AMQPError.Code.frameTooLarge`).
/// `offset` says where: for the frame decoder, bytes from the first byte it was fed; for a
/// value encoded on its own, bytes from the start of that value. `replyCode` is the code a
/// peer closes the connection (or channel) with for this violation.
public struct AMQPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of violation.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case frameTooLarge, unknownFrameType, badFrameEnd, invalidHeartbeat, truncated, trailingBytes, unknownMethod
            case unknownContentClass, nonZeroWeight, unknownPropertyFlags, unknownFieldType, invalidUTF8, nestingTooDeep
            case valueTooLong, unexpectedFrame, channelError, commandInvalid
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A frame's payload is larger than the negotiated frame_max allows.
        public static let frameTooLarge = Code(.frameTooLarge)
        /// The frame type octet is not method, header, body or heartbeat.
        public static let unknownFrameType = Code(.unknownFrameType)
        /// The octet after the payload is not the frame-end marker 0xCE.
        public static let badFrameEnd = Code(.badFrameEnd)
        /// A heartbeat frame on a channel other than 0 or with a payload.
        public static let invalidHeartbeat = Code(.invalidHeartbeat)
        /// A value runs past the end of its frame or its enclosing table/array.
        public static let truncated = Code(.truncated)
        /// Bytes left inside a method or header frame after its last field.
        public static let trailingBytes = Code(.trailingBytes)
        /// No method with these ids exists.
        public static let unknownMethod = Code(.unknownMethod)
        /// A content header for a class that has no content.
        public static let unknownContentClass = Code(.unknownContentClass)
        /// A content header's weight field is not zero.
        public static let nonZeroWeight = Code(.nonZeroWeight)
        /// The property flags name properties the class does not have.
        public static let unknownPropertyFlags = Code(.unknownPropertyFlags)
        /// A field-table value type octet that is not one of RabbitMQ's types.
        public static let unknownFieldType = Code(.unknownFieldType)
        /// A short string or table key that is not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// Tables or arrays nested deeper than the limit.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// A short string longer than 255 bytes, or a long value longer than 2^32-1 (encoding).
        public static let valueTooLong = Code(.valueTooLong)
        /// A frame that the connection or channel state does not allow now.
        public static let unexpectedFrame = Code(.unexpectedFrame)
        /// A method on a channel that is not open, or a channel number out of range.
        public static let channelError = Code(.channelError)
        /// A method that is valid on the wire but not acceptable here.
        public static let commandInvalid = Code(.commandInvalid)

        public var description: String { base.rawValue }

        /// Lets a `catch` clause match on a code: `catch AMQPError.Code.frameTooLarge`.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? AMQPError)?.code == code
        }
    }

    /// What was wrong: a code and the particulars, in words.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let code: Code
        /// The particulars (sizes, names, octets), as the description shows them.
        public let detail: String

        private init(_ code: Code, _ detail: String) {
            self.code = code
            self.detail = detail
        }

        public var description: String { detail }

        public static func frameTooLarge(size: Int, limit: Int) -> Reason { Reason(.frameTooLarge, "frame of \(size) bytes exceeds frame_max \(limit)") }
        public static func unknownFrameType(_ type: UInt8) -> Reason { Reason(.unknownFrameType, "unknown frame type \(type)") }
        public static func badFrameEnd(_ octet: UInt8) -> Reason { Reason(.badFrameEnd, "frame end is 0x\(String(octet, radix: 16)), not 0xce") }
        public static func invalidHeartbeat(channel: UInt16, size: Int) -> Reason {
            Reason(.invalidHeartbeat, "heartbeat on channel \(channel) with \(size) payload bytes")
        }
        public static func truncated(_ field: String) -> Reason { Reason(.truncated, "\(field) runs past the end of its frame or container") }
        public static func trailingBytes(_ count: Int) -> Reason { Reason(.trailingBytes, "\(count) bytes left over after the last field") }
        public static func unknownMethod(classID: UInt16, methodID: UInt16) -> Reason { Reason(.unknownMethod, "unknown method \(classID).\(methodID)") }
        public static func unknownContentClass(_ classID: UInt16) -> Reason {
            Reason(.unknownContentClass, "content header for class \(classID), which has no content")
        }
        public static func nonZeroWeight(_ weight: UInt16) -> Reason { Reason(.nonZeroWeight, "content header weight \(weight), must be 0") }
        public static func unknownPropertyFlags(_ flags: UInt16) -> Reason {
            Reason(.unknownPropertyFlags, "property flags 0x\(String(flags, radix: 16)) name unknown properties")
        }
        public static func unknownFieldType(_ type: UInt8) -> Reason { Reason(.unknownFieldType, "unknown field value type 0x\(String(type, radix: 16))") }
        public static func invalidUTF8(_ field: String) -> Reason { Reason(.invalidUTF8, "\(field) is not valid UTF-8") }
        public static func nestingTooDeep(limit: Int) -> Reason { Reason(.nestingTooDeep, "tables or arrays nested deeper than \(limit)") }
        public static func valueTooLong(_ field: String, length: Int) -> Reason {
            Reason(.valueTooLong, "\(field) of \(length) bytes is too long for its wire type")
        }
        public static func unexpectedFrame(_ text: String) -> Reason { Reason(.unexpectedFrame, "unexpected frame: \(text)") }
        public static func channelError(_ text: String) -> Reason { Reason(.channelError, "channel error: \(text)") }
        public static func commandInvalid(_ text: String) -> Reason { Reason(.commandInvalid, "invalid command: \(text)") }
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

    /// What kind of violation.
    public var code: Code { reason.code }

    /// The AMQP reply code for this violation.
    public var replyCode: ReplyCode {
        switch code {
        case .frameTooLarge, .unknownFrameType, .badFrameEnd, .invalidHeartbeat: .frameError
        case .unknownMethod, .unknownContentClass, .commandInvalid: .commandInvalid
        case .unexpectedFrame: .unexpectedFrame
        case .channelError: .channelError
        default: .syntaxError
        }
    }

    /// The same error with its offset moved by `delta` (to report it relative to an outer start).
    package func shifted(by delta: Int) -> AMQPError {
        AMQPError(reason, at: offset + delta)
    }

    public var description: String {
        "\(reason.detail) (offset \(offset), reply \(replyCode.rawValue) \(replyCode))"
    }
}
