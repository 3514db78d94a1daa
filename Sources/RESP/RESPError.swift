/// Why RESP bytes could not be decoded or a command could not be encoded.
///
/// A struct with a `code` rather than an enum, so that new kinds of failure can be added without
/// breaking code that switches over them. `offset` counts bytes from the start of the stream fed
/// to the decoder (across all `feed` calls) and points at the offending byte, or at the type byte
/// of a value that breaks a limit.
///
/// ```swift
/// do { ... } catch where error.code == .bulkTooLong { ... }
/// ```
public struct RESPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unknownType, invalidInteger, invalidLength, invalidLineEnding, bulkTooLong
            case tooManyElements, nestingTooDeep, lineTooLong, emptyCommand
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A value starts with a byte that is not one of `+ - : $ *`.
        public static let unknownType = Code(.unknownType)
        /// An integer reply is not canonical decimal: sign other than a leading `-`, leading zero,
        /// `-0`, no digits, or outside the Int64 range.
        public static let invalidInteger = Code(.invalidInteger)
        /// A bulk length or array count is not canonical decimal, or is negative other than `-1`.
        public static let invalidLength = Code(.invalidLength)
        /// A line does not end in CRLF: a bare LF, a CR not followed by LF, or a bulk payload not
        /// followed by CRLF.
        public static let invalidLineEnding = Code(.invalidLineEnding)
        /// A bulk string is longer than `RESPDecoder.Limits.maxBulkLength`.
        public static let bulkTooLong = Code(.bulkTooLong)
        /// An array has more elements than `RESPDecoder.Limits.maxArrayCount`.
        public static let tooManyElements = Code(.tooManyElements)
        /// Arrays nest deeper than `RESPDecoder.Limits.maxDepth`.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// A simple string or error line is longer than `RESPDecoder.Limits.maxLineLength`.
        public static let lineTooLong = Code(.lineTooLong)
        /// A command must have at least its name (an encoding error; it has no offset).
        public static let emptyCommand = Code(.emptyCommand)

        public var description: String { base.rawValue }
    }

    /// What kind of failure.
    public let code: Code
    /// The offset, -1 for none: stored plainly, with `detail`, so the error stays as small as the
    /// decoder's results that carry it.
    private let storedOffset: Int
    /// The limit or the byte, by code.
    private let detail: Int

    /// Stream offset of the offending byte; nil for encoding errors.
    public var offset: Int? { storedOffset < 0 ? nil : storedOffset }
    /// The limit that was broken, for the `...TooLong`, `tooManyElements` and `nestingTooDeep` codes.
    public var limit: Int? {
        switch code {
        case .bulkTooLong, .tooManyElements, .nestingTooDeep, .lineTooLong: detail
        default: nil
        }
    }
    /// The offending type byte, for `unknownType`.
    public var byte: UInt8? { code == .unknownType ? UInt8(truncatingIfNeeded: detail) : nil }

    private init(_ code: Code, offset: Int?, limit: Int? = nil, byte: UInt8? = nil) {
        self.code = code
        storedOffset = offset ?? -1
        detail = limit ?? byte.map(Int.init) ?? 0
    }

    /// A value starts with `byte`, which is not a RESP2 type byte.
    public static func unknownType(byte: UInt8, offset: Int) -> RESPError { RESPError(.unknownType, offset: offset, byte: byte) }
    /// An integer reply that is not canonical decimal within the Int64 range.
    public static func invalidInteger(offset: Int) -> RESPError { RESPError(.invalidInteger, offset: offset) }
    /// A bulk length or array count that is not canonical decimal, or negative other than `-1`.
    public static func invalidLength(offset: Int) -> RESPError { RESPError(.invalidLength, offset: offset) }
    /// A line that does not end in CRLF.
    public static func invalidLineEnding(offset: Int) -> RESPError { RESPError(.invalidLineEnding, offset: offset) }
    /// A bulk string longer than `limit`.
    public static func bulkTooLong(offset: Int, limit: Int) -> RESPError { RESPError(.bulkTooLong, offset: offset, limit: limit) }
    /// An array with more than `limit` elements.
    public static func tooManyElements(offset: Int, limit: Int) -> RESPError { RESPError(.tooManyElements, offset: offset, limit: limit) }
    /// Arrays nested deeper than `limit`.
    public static func nestingTooDeep(offset: Int, limit: Int) -> RESPError { RESPError(.nestingTooDeep, offset: offset, limit: limit) }
    /// A simple string or error line longer than `limit`.
    public static func lineTooLong(offset: Int, limit: Int) -> RESPError { RESPError(.lineTooLong, offset: offset, limit: limit) }
    /// A command without arguments.
    public static let emptyCommand = RESPError(.emptyCommand, offset: nil)

    /// What was wrong and at which offset.
    public var description: String {
        let at = offset.map(String.init) ?? "?"
        let bound = limit.map(String.init) ?? "?"
        switch code {
        case .unknownType: return "unknown RESP type byte 0x\(String(byte ?? 0, radix: 16)) at offset \(at)"
        case .invalidInteger: return "invalid integer at offset \(at)"
        case .invalidLength: return "invalid length at offset \(at)"
        case .invalidLineEnding: return "expected CRLF at offset \(at)"
        case .bulkTooLong: return "bulk string at offset \(at) longer than \(bound) bytes"
        case .tooManyElements: return "array at offset \(at) has more than \(bound) elements"
        case .nestingTooDeep: return "array at offset \(at) nests deeper than \(bound)"
        case .lineTooLong: return "line at offset \(at) longer than \(bound) bytes"
        case .emptyCommand: return "a command needs at least one argument"
        default: return "\(code) at offset \(at)"
        }
    }
}
