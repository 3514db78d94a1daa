import Bytes

/// A value that can be sent as one bulk-string argument of a command.
public protocol RESPArgument: Sendable {
    /// Appends the argument as `$len\r\n<bytes>\r\n`.
    func writeBulkString(into buffer: inout ByteBuffer)
}

/// Encodes commands the way clients must send them: an array of bulk strings, never inline, so
/// any bytes (CR, LF, NUL, spaces) are safe in arguments.
public enum RESPEncoder {
    /// Appends `arguments` (command name first) as one RESP command.
    /// - Throws: `RESPError.emptyCommand` when `arguments` is empty.
    public static func encodeCommand<Arguments: Collection>(
        _ arguments: Arguments,
        into buffer: inout ByteBuffer
    ) throws(RESPError) where Arguments.Element: RESPArgument {
        guard !arguments.isEmpty else { throw .emptyCommand }
        writeHeader(UInt8(ascii: "*"), arguments.count, into: &buffer)
        for argument in arguments { argument.writeBulkString(into: &buffer) }
    }

    /// Appends `arguments` of mixed types (command name first) as one RESP command.
    /// - Throws: `RESPError.emptyCommand` when `arguments` is empty.
    public static func encodeCommand(_ arguments: [any RESPArgument], into buffer: inout ByteBuffer) throws(RESPError) {
        guard !arguments.isEmpty else { throw .emptyCommand }
        writeHeader(UInt8(ascii: "*"), arguments.count, into: &buffer)
        for argument in arguments { argument.writeBulkString(into: &buffer) }
    }

    /// Appends `*n\r\n` or `$n\r\n` for a non-negative `n`.
    @usableFromInline
    static func writeHeader(_ type: UInt8, _ number: Int, into buffer: inout ByteBuffer) {
        precondition(number >= 0, "RESP headers written by the encoder are never negative")
        _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 23) { space in
            // Digits are produced last-first into a scratch area, then moved behind the type byte.
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
            return withUnsafeMutableBytes(of: &digits) { scratch in
                var value = UInt64(number)
                var start = scratch.count
                repeat {
                    start -= 1
                    scratch[start] = UInt8(truncatingIfNeeded: value % 10) &+ 48
                    value /= 10
                } while value > 0
                let length = scratch.count - start
                space[0] = type
                space.baseAddress!.advanced(by: 1).copyMemory(from: scratch.baseAddress!.advanced(by: start), byteCount: length)
                space[length + 1] = 13
                space[length + 2] = 10
                return length + 3
            }
        }
    }

    /// Appends one bulk string holding `bytes`.
    @usableFromInline
    static func writeBulk(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        writeHeader(UInt8(ascii: "$"), bytes.count, into: &buffer)
        buffer.writeBytes(bytes)
        buffer.writeInteger(UInt16(0x0D0A))
    }
}

extension ByteBuffer: RESPArgument {
    public func writeBulkString(into buffer: inout ByteBuffer) {
        withUnsafeReadableBytes { RESPEncoder.writeBulk($0, into: &buffer) }
    }
}

extension String: RESPArgument {
    public func writeBulkString(into buffer: inout ByteBuffer) {
        var text = self
        text.withUTF8 { RESPEncoder.writeBulk(UnsafeRawBufferPointer($0), into: &buffer) }
    }
}

extension Substring: RESPArgument {
    public func writeBulkString(into buffer: inout ByteBuffer) {
        String(self).writeBulkString(into: &buffer)
    }
}

extension Array: RESPArgument where Element == UInt8 {
    public func writeBulkString(into buffer: inout ByteBuffer) {
        withUnsafeBytes { RESPEncoder.writeBulk($0, into: &buffer) }
    }
}

extension Int: RESPArgument {
    /// Sent as its decimal text, which is how Redis reads numeric arguments.
    public func writeBulkString(into buffer: inout ByteBuffer) {
        String(self).writeBulkString(into: &buffer)
    }
}
