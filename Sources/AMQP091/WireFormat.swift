import Bytes

/// Reading and writing AMQP's primitive field types. Every read is bounds-checked and throws
/// `truncated` naming the field, at the offset where the field starts.
extension ByteBuffer {
    @inline(__always)
    package mutating func readOctet(_ field: String) throws(AMQPError) -> UInt8 {
        guard let value = readInteger(as: UInt8.self) else { throw AMQPError(.truncated(field), at: readerIndex) }
        return value
    }

    @inline(__always)
    package mutating func readShort(_ field: String) throws(AMQPError) -> UInt16 {
        guard let value = readInteger(as: UInt16.self) else { throw AMQPError(.truncated(field), at: readerIndex) }
        return value
    }

    @inline(__always)
    package mutating func readLong(_ field: String) throws(AMQPError) -> UInt32 {
        guard let value = readInteger(as: UInt32.self) else { throw AMQPError(.truncated(field), at: readerIndex) }
        return value
    }

    @inline(__always)
    package mutating func readLongLong(_ field: String) throws(AMQPError) -> UInt64 {
        guard let value = readInteger(as: UInt64.self) else { throw AMQPError(.truncated(field), at: readerIndex) }
        return value
    }

    /// Reads an octet length and that many bytes of UTF-8.
    package mutating func readShortString(_ field: String) throws(AMQPError) -> String {
        let start = readerIndex
        guard let length = getInteger(at: start, as: UInt8.self), readableBytes >= 1 + Int(length) else {
            throw AMQPError(.truncated(field), at: start)
        }
        // Validating decode: names must round-trip exactly, so repaired (lossy) strings are refused.
        // Names are nearly always ASCII, which is valid UTF-8 as it stands: that check is a plain
        // loop, where the general validation runs through generic code.
        let string = withUnsafeReadableBytes { bytes -> String? in
            let content = UnsafeRawBufferPointer(rebasing: bytes[1..<(1 + Int(length))])
            if content.allSatisfy({ $0 < 0x80 }) { return String(decoding: content, as: UTF8.self) }
            return String(validating: content, as: UTF8.self)
        }
        guard let string else { throw AMQPError(.invalidUTF8(field), at: start + 1) }
        moveReaderIndex(forwardBy: 1 + Int(length))
        return string
    }

    /// Reads a 32-bit length and that many bytes, as a slice sharing this buffer's storage.
    package mutating func readLongString(_ field: String) throws(AMQPError) -> ByteBuffer {
        try readLengthPrefixed(field).buffer
    }

    /// Reads a 32-bit length and that many bytes; `offset` is where the content starts.
    mutating func readLengthPrefixed(_ field: String) throws(AMQPError) -> (buffer: ByteBuffer, offset: Int) {
        let start = readerIndex
        guard let length = getInteger(at: start, as: UInt32.self), readableBytes - 4 >= Int(length) else {
            throw AMQPError(.truncated(field), at: start)
        }
        moveReaderIndex(forwardBy: 4)
        return (readSlice(length: Int(length))!, start + 4)
    }

    package mutating func writeShortString(_ string: String, _ field: String) throws(AMQPError) {
        let length = string.utf8.count
        guard length <= Int(UInt8.max) else { throw AMQPError(.valueTooLong(field, length: length), at: writerIndex) }
        writeInteger(UInt8(length))
        writeString(string)
    }

    package mutating func writeLongString(_ bytes: ByteBuffer, _ field: String) throws(AMQPError) {
        guard bytes.readableBytes <= Int(UInt32.max) else {
            throw AMQPError(.valueTooLong(field, length: bytes.readableBytes), at: writerIndex)
        }
        writeInteger(UInt32(bytes.readableBytes))
        writeBuffer(bytes)
    }

    /// Writes a 32-bit length placeholder, the content `body` writes, then patches the length.
    mutating func writeLengthPrefixed(
        _ field: String, _ body: (inout ByteBuffer) throws(AMQPError) -> Void
    ) throws(AMQPError) {
        let lengthIndex = writerIndex
        writeInteger(UInt32(0))
        try body(&self)
        let length = writerIndex - lengthIndex - 4
        guard length <= Int(UInt32.max) else { throw AMQPError(.valueTooLong(field, length: length), at: lengthIndex) }
        setInteger(UInt32(length), at: lengthIndex)
    }
}
