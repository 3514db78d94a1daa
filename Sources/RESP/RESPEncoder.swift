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
        // Used in place: a for-in loop would copy every existential out of the array first.
        arguments.withUnsafeBufferPointer { arguments in
            for index in arguments.indices { arguments[index].writeBulkString(into: &buffer) }
        }
    }

    /// Appends `*n\r\n` or `$n\r\n` for a non-negative `n`.
    static func writeHeader(_ type: UInt8, _ number: Int, into buffer: inout ByteBuffer) {
        _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 23) { space in
            writeHeader(type, number, at: space.baseAddress!)
        }
    }

    /// Appends one bulk string holding `bytes`: header, payload and CRLF in one reservation,
    /// because commands are mostly short arguments where per-write bookkeeping dominates.
    static func writeBulk(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        let count = bytes.count
        _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 23 &+ count &+ 2) { space in
            let start = space.baseAddress!
            let header = writeHeader(UInt8(ascii: "$"), count, at: start)
            if count > 0 { (start + header).copyMemory(from: bytes.baseAddress!, byteCount: count) }
            (start + (header &+ count)).storeBytes(of: crlf, as: UInt16.self)
            return header &+ count &+ 2
        }
    }

    /// CR LF as one 16-bit store.
    private static let crlf = UInt16(0x0A0D).littleEndian

    /// Writes `*n\r\n` or `$n\r\n` at `start`, which has room for 23 bytes; returns its length.
    private static func writeHeader(_ type: UInt8, _ number: Int, at start: UnsafeMutableRawPointer) -> Int {
        precondition(number >= 0, "RESP headers written by the encoder are never negative")
        start.storeBytes(of: type, as: UInt8.self)
        // Digits are produced last-first, after counting them, straight into place.
        var digits = 1
        var rest = UInt64(number) / 10
        while rest > 0 {
            digits &+= 1
            rest /= 10
        }
        var value = UInt64(number)
        var index = digits
        repeat {
            start.storeBytes(of: UInt8(truncatingIfNeeded: value % 10) &+ 48, toByteOffset: index, as: UInt8.self)
            value /= 10
            index &-= 1
        } while value > 0
        (start + (digits &+ 1)).storeBytes(of: crlf, as: UInt16.self)
        return digits &+ 3
    }
}

extension ByteBuffer: RESPArgument {
    /// Sent as its readable bytes, unchanged.
    public func writeBulkString(into buffer: inout ByteBuffer) {
        withUnsafeReadableBytes { RESPEncoder.writeBulk($0, into: &buffer) }
    }
}

extension String: RESPArgument {
    /// Sent as its UTF-8 bytes.
    public func writeBulkString(into buffer: inout ByteBuffer) {
        // Native strings (small ones included) expose their UTF-8 without a copy of the string.
        let written: Void? = utf8.withContiguousStorageIfAvailable { RESPEncoder.writeBulk(UnsafeRawBufferPointer($0), into: &buffer) }
        if written != nil { return }
        var text = self
        text.withUTF8 { RESPEncoder.writeBulk(UnsafeRawBufferPointer($0), into: &buffer) }
    }
}

extension Substring: RESPArgument {
    /// Sent as its UTF-8 bytes.
    public func writeBulkString(into buffer: inout ByteBuffer) {
        String(self).writeBulkString(into: &buffer)
    }
}

extension Array: RESPArgument where Element == UInt8 {
    /// Sent as the bytes, unchanged.
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
