/// Why RESP bytes could not be decoded or a command could not be encoded.
///
/// Offsets count bytes from the start of the stream fed to the decoder (across all `feed` calls)
/// and point at the offending byte, or at the type byte of a value that breaks a limit.
public enum RESPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A value starts with a byte that is not one of `+ - : $ *`.
    case unknownType(byte: UInt8, offset: Int)
    /// An integer reply is not canonical decimal: sign other than a leading `-`, leading zero,
    /// `-0`, no digits, or outside the Int64 range.
    case invalidInteger(offset: Int)
    /// A bulk length or array count is not canonical decimal, or is negative other than `-1`.
    case invalidLength(offset: Int)
    /// A line does not end in CRLF: a bare LF, a CR not followed by LF, or a bulk payload not
    /// followed by CRLF.
    case invalidLineEnding(offset: Int)
    /// A bulk string is longer than `RESPDecoder.Limits.maxBulkLength`.
    case bulkTooLong(offset: Int, limit: Int)
    /// An array has more elements than `RESPDecoder.Limits.maxArrayCount`.
    case tooManyElements(offset: Int, limit: Int)
    /// Arrays nest deeper than `RESPDecoder.Limits.maxDepth`.
    case nestingTooDeep(offset: Int, limit: Int)
    /// A simple string or error line is longer than `RESPDecoder.Limits.maxLineLength`.
    case lineTooLong(offset: Int, limit: Int)
    /// A command must have at least its name.
    case emptyCommand

    public var description: String {
        switch self {
        case .unknownType(let byte, let offset): "unknown RESP type byte 0x\(String(byte, radix: 16)) at offset \(offset)"
        case .invalidInteger(let offset): "invalid integer at offset \(offset)"
        case .invalidLength(let offset): "invalid length at offset \(offset)"
        case .invalidLineEnding(let offset): "expected CRLF at offset \(offset)"
        case .bulkTooLong(let offset, let limit): "bulk string at offset \(offset) longer than \(limit) bytes"
        case .tooManyElements(let offset, let limit): "array at offset \(offset) has more than \(limit) elements"
        case .nestingTooDeep(let offset, let limit): "array at offset \(offset) nests deeper than \(limit)"
        case .lineTooLong(let offset, let limit): "line at offset \(offset) longer than \(limit) bytes"
        case .emptyCommand: "a command needs at least one argument"
        }
    }
}
