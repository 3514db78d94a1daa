#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte order of a multi-byte integer on the wire.
public enum Endianness: Sendable {
    /// Most significant byte first (network order).
    case big
    /// Least significant byte first.
    case little
}

/// A growable byte buffer with separate reader and writer indices.
///
/// Bytes in `readerIndex..<writerIndex` are *readable*; space after `writerIndex` is *writable*.
/// Slices (`readSlice(length:)`, `getSlice(at:length:)`) share storage with the buffer they came
/// from, so decoders can hand out values without copying. Storage is copy-on-write: a write to a
/// buffer whose storage is shared first copies it, so slices never observe later writes.
public struct ByteBuffer: Sendable {
    @usableFromInline var storage: ByteStorage
    /// Offset of index 0 of this view within `storage`.
    @usableFromInline var base: Int
    @usableFromInline var reader: Int
    @usableFromInline var writer: Int

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        // Empty buffers share one storage, so creating one (a placeholder, a reset) allocates
        // nothing; being shared, it is replaced by the first write.
        storage = capacity > 0 ? ByteStorage(capacity: capacity) : ByteStorage.empty
        base = 0
        reader = 0
        writer = 0
    }

    /// A buffer whose readable bytes are `bytes`.
    public init(bytes: some Sequence<UInt8>) {
        self.init(capacity: bytes.underestimatedCount)
        writeBytes(bytes)
    }

    /// A buffer whose readable bytes are the UTF-8 encoding of `string`.
    public init(string: String) {
        self.init(capacity: string.utf8.count)
        writeString(string)
    }

    /// Index of the first readable byte.
    @inlinable public var readerIndex: Int { reader }
    /// Index one past the last readable byte; the next write goes here.
    @inlinable public var writerIndex: Int { writer }
    /// Number of readable bytes.
    @inlinable public var readableBytes: Int { writer &- reader }
    /// Bytes that can be written before the storage must grow.
    public var writableBytes: Int { storage.capacity - base - writer }
    /// Total bytes this view can hold without growing.
    public var capacity: Int { storage.capacity - base }

    // MARK: Index movement

    /// Advances the reader index; `count` must not exceed `readableBytes`.
    @inlinable public mutating func moveReaderIndex(forwardBy count: Int) {
        precondition(count >= 0 && count <= readableBytes, "moveReaderIndex(forwardBy:) out of range")
        reader &+= count
    }

    /// Sets the reader index; it must lie in `0...writerIndex`.
    @inlinable public mutating func moveReaderIndex(to index: Int) {
        precondition(index >= 0 && index <= writer, "moveReaderIndex(to:) out of range")
        reader = index
    }

    /// Advances the writer index over bytes already placed in writable space.
    public mutating func moveWriterIndex(forwardBy count: Int) {
        precondition(count >= 0 && count <= writableBytes, "moveWriterIndex(forwardBy:) out of range")
        writer += count
    }

    /// Moves the writer index back to `index` in `readerIndex...writerIndex`, dropping the bytes
    /// after it (e.g. to undo a partly written message).
    public mutating func moveWriterIndex(to index: Int) {
        precondition(index >= reader && index <= writer, "moveWriterIndex(to:) out of range")
        writer = index
    }

    /// Empties the buffer, keeping its capacity when the storage is not shared.
    public mutating func clear() {
        if !isKnownUniquelyReferenced(&storage) { storage = capacity > 0 ? ByteStorage(capacity: capacity) : ByteStorage.empty }
        base = 0
        reader = 0
        writer = 0
    }

    /// Moves the readable bytes to the front so the space before `readerIndex` can be reused
    /// (compaction). Afterwards `readerIndex` is 0.
    public mutating func discardReadBytes() {
        guard reader > 0 else { return }
        let count = readableBytes
        if isKnownUniquelyReferenced(&storage) {
            if count > 0 { (storage.bytes + base).copyMemory(from: storage.bytes + base + reader, byteCount: count) }
        } else {
            let fresh = ByteStorage(capacity: capacity - reader)
            if count > 0 { fresh.bytes.copyMemory(from: storage.bytes + base + reader, byteCount: count) }
            storage = fresh
            base = 0
        }
        reader = 0
        writer = count
    }

    // MARK: Capacity

    /// Makes sure at least `minimumWritableBytes` can be written without another allocation, and
    /// that the storage is not shared with any slice.
    @inlinable public mutating func reserveCapacity(minimumWritableBytes: Int) {
        if _fastPath(isKnownUniquelyReferenced(&storage) && base &+ writer &+ minimumWritableBytes <= storage.capacity) {
            return
        }
        grow(minimumWritableBytes: minimumWritableBytes)
    }

    @usableFromInline mutating func grow(minimumWritableBytes: Int) {
        let needed = writer + minimumWritableBytes
        var newCapacity = max(capacity, 64)
        while newCapacity < needed { newCapacity *= 2 }
        let fresh = ByteStorage(capacity: newCapacity)
        // Indices stay valid: bytes before the reader are kept too.
        if writer > 0 { fresh.bytes.copyMemory(from: storage.bytes + base, byteCount: writer) }
        storage = fresh
        base = 0
    }

    // MARK: Writing

    /// Appends raw bytes.
    @inlinable public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count > 0 else { return }
        reserveCapacity(minimumWritableBytes: count)
        (storage.bytes + base + writer).copyMemory(from: bytes.baseAddress!, byteCount: count)
        writer &+= count
    }

    /// Appends a sequence of bytes.
    @inlinable public mutating func writeBytes(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { writeBytes(UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in bytes { writeInteger(byte) }
        }
    }

    /// Appends the readable bytes of another buffer.
    public mutating func writeBuffer(_ other: ByteBuffer) {
        other.withUnsafeReadableBytes { writeBytes($0) }
    }

    /// Appends the UTF-8 encoding of a string.
    public mutating func writeString(_ string: String) {
        var string = string
        string.withUTF8 { writeBytes(UnsafeRawBufferPointer($0)) }
    }

    /// Appends a fixed-width integer.
    @inlinable public mutating func writeInteger<T: FixedWidthInteger>(_ value: T, endianness: Endianness = .big) {
        let size = MemoryLayout<T>.size
        reserveCapacity(minimumWritableBytes: size)
        let ordered = endianness == .big ? value.bigEndian : value.littleEndian
        (storage.bytes + base + writer).storeBytes(of: ordered, as: T.self)
        writer &+= size
    }

    /// Overwrites a fixed-width integer at `index`, which must lie within `0...writerIndex - size`.
    public mutating func setInteger<T: FixedWidthInteger>(_ value: T, at index: Int, endianness: Endianness = .big) {
        let size = MemoryLayout<T>.size
        precondition(index >= 0 && index + size <= writer, "setInteger(_:at:) out of range")
        reserveCapacity(minimumWritableBytes: 0)
        let ordered = endianness == .big ? value.bigEndian : value.littleEndian
        (storage.bytes + base + index).storeBytes(of: ordered, as: T.self)
    }

    /// Lets `body` write directly into writable space (for `read(2)` and encoders) and returns
    /// how many bytes it wrote, which moves the writer index.
    @inlinable public mutating func writeWithUnsafeMutableBytes(
        minimumWritableBytes: Int,
        _ body: (UnsafeMutableRawBufferPointer) throws -> Int
    ) rethrows -> Int {
        reserveCapacity(minimumWritableBytes: minimumWritableBytes)
        let space = UnsafeMutableRawBufferPointer(start: storage.bytes + base + writer, count: writableBytes)
        let written = try body(space)
        precondition(written >= 0 && written <= space.count, "writeWithUnsafeMutableBytes wrote out of range")
        writer &+= written
        return written
    }

    // MARK: Reading

    /// Calls `body` with the readable bytes; the pointer is valid only inside `body`.
    @inlinable public func withUnsafeReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeRawBufferPointer(start: storage.bytes + base + reader, count: writer &- reader))
        }
    }

    /// The integer at `index` without moving the reader, or nil when not all its bytes are readable.
    @inlinable public func getInteger<T: FixedWidthInteger>(at index: Int, endianness: Endianness = .big, as: T.Type = T.self) -> T? {
        let size = MemoryLayout<T>.size
        guard index >= reader, index &+ size <= writer else { return nil }
        let raw = (storage.bytes + base + index).loadUnaligned(as: T.self)
        return endianness == .big ? T(bigEndian: raw) : T(littleEndian: raw)
    }

    /// Reads an integer, or returns nil (consuming nothing) when not enough bytes are readable.
    @inlinable public mutating func readInteger<T: FixedWidthInteger>(endianness: Endianness = .big, as: T.Type = T.self) -> T? {
        guard let value = getInteger(at: reader, endianness: endianness, as: T.self) else { return nil }
        reader &+= MemoryLayout<T>.size
        return value
    }

    /// A copy of `length` bytes at `index`, or nil when they are not all readable.
    public func getBytes(at index: Int, length: Int) -> [UInt8]? {
        guard length >= 0, index >= reader, index + length <= writer else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: storage.bytes + base + index, count: length))
    }

    /// Reads `length` bytes as a new array, or nil when not enough are readable.
    public mutating func readBytes(length: Int) -> [UInt8]? {
        guard let bytes = getBytes(at: reader, length: length) else { return nil }
        reader += length
        return bytes
    }

    /// A buffer viewing `length` bytes at `index` without copying, or nil when not all readable.
    @inlinable public func getSlice(at index: Int, length: Int) -> ByteBuffer? {
        guard length >= 0, index >= reader, index &+ length <= writer else { return nil }
        var slice = self
        slice.base = base &+ index
        slice.reader = 0
        slice.writer = length
        return slice
    }

    /// Reads `length` bytes as a slice sharing this buffer's storage, or nil when not enough are readable.
    @inlinable public mutating func readSlice(length: Int) -> ByteBuffer? {
        guard let slice = getSlice(at: reader, length: length) else { return nil }
        reader &+= length
        return slice
    }

    /// The bytes at `index` decoded as UTF-8 (invalid sequences repaired), or nil when not all readable.
    public func getString(at index: Int, length: Int) -> String? {
        guard length >= 0, index >= reader, index + length <= writer else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: storage.bytes + base + index, count: length), as: UTF8.self)
    }

    /// Reads `length` bytes as a UTF-8 string, or nil when not enough are readable.
    public mutating func readString(length: Int) -> String? {
        guard let string = getString(at: reader, length: length) else { return nil }
        reader += length
        return string
    }

    /// The readable bytes as a collection, for generic algorithms and tests.
    public var readableBytesView: ByteBufferView { ByteBufferView(buffer: self) }
}

extension ByteBuffer: Equatable, Hashable {
    /// Buffers are equal when their readable bytes are equal; indices and capacity do not matter.
    public static func == (lhs: ByteBuffer, rhs: ByteBuffer) -> Bool {
        guard lhs.readableBytes == rhs.readableBytes else { return false }
        return lhs.withUnsafeReadableBytes { l in
            rhs.withUnsafeReadableBytes { r in
                l.count == 0 || memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0
            }
        }
    }

    /// Hashes the readable bytes, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        withUnsafeReadableBytes { hasher.combine(bytes: $0) }
    }
}

extension ByteBuffer: CustomStringConvertible {
    /// The readable bytes, UTF-8 decoded with invalid sequences repaired.
    public var description: String { getString(at: reader, length: readableBytes) ?? "" }
}

extension ByteBuffer: ExpressibleByStringLiteral {
    /// A buffer holding the literal's UTF-8 bytes, as `init(string:)`.
    public init(stringLiteral value: String) { self.init(string: value) }
}

/// The readable bytes of a `ByteBuffer` as a random-access collection (indices are buffer indices).
public struct ByteBufferView: RandomAccessCollection, Sendable {
    @usableFromInline let buffer: ByteBuffer

    @inlinable init(buffer: ByteBuffer) { self.buffer = buffer }

    /// The buffer's reader index.
    @inlinable public var startIndex: Int { buffer.reader }
    /// The buffer's writer index.
    @inlinable public var endIndex: Int { buffer.writer }

    /// The byte at buffer index `position`, which must be readable.
    @inlinable public subscript(position: Int) -> UInt8 {
        precondition(position >= buffer.reader && position < buffer.writer, "ByteBufferView index out of range")
        return buffer.storage.bytes.load(fromByteOffset: buffer.base &+ position, as: UInt8.self)
    }

    /// Calls `body` with the readable bytes, which are always contiguous; never returns nil.
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try buffer.withUnsafeReadableBytes { try body($0.bindMemory(to: UInt8.self)) }
    }
}

/// Heap memory shared by a buffer and its slices. Only ever mutated through a `ByteBuffer` that
/// holds the sole reference (checked with `isKnownUniquelyReferenced`), which is what makes the
/// unchecked `Sendable` sound.
@usableFromInline final class ByteStorage: @unchecked Sendable {
    @usableFromInline let bytes: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int

    @usableFromInline init(capacity: Int) {
        self.capacity = max(capacity, 0)
        bytes = .allocate(byteCount: max(capacity, 1), alignment: 16)
    }

    /// The storage of every buffer created without capacity; never written, as it is shared.
    @usableFromInline static let empty = ByteStorage(capacity: 0)

    deinit { bytes.deallocate() }
}
