import Bytes

/// Header (or trailer) fields of one request, in the order received, viewing the received bytes
/// without copying. Names keep their received case; values have surrounding whitespace removed.
public struct HTTPHeaders: @unchecked Sendable, RandomAccessCollection {
    /// Where a field's name and value lie in the section's bytes. 32-bit offsets keep records
    /// compact; sections are bounded by `HTTPParserLimits.maxHeaderBytes`.
    @usableFromInline struct Field: Sendable {
        @usableFromInline var nameStart: UInt32
        @usableFromInline var nameLength: UInt32
        @usableFromInline var valueStart: UInt32
        @usableFromInline var valueLength: UInt32
    }

    /// The section's bytes and field records in one allocation, so that a head is a single
    /// reference: parts are copied on their way to the caller, and each reference costs a
    /// retain and a release per copy. Nil only for `init()`. The storage is never
    /// mutated after creation, which is why the unchecked `Sendable` is sound.
    @usableFromInline let storage: FieldStorage?

    init(bytes: ByteBuffer, fields: [Field]) {
        storage = FieldStorage.make(bytes: bytes, fields: fields)
    }

    /// No fields.
    public init() {
        storage = nil
    }

    /// The section's bytes; field offsets are relative to its reader index.
    @usableFromInline var bytes: ByteBuffer { storage?.bytes ?? ByteBuffer() }

    @inlinable func field(_ index: Int) -> Field {
        precondition(index >= 0 && index < count, "HTTPHeaders index out of range")
        return storage!.withUnsafeMutablePointerToElements { $0[index] }
    }

    /// The index of the first field: fields are indexed from 0 in the order received.
    @inlinable public var startIndex: Int { 0 }
    /// One past the index of the last field: the number of fields.
    @inlinable public var endIndex: Int { storage?.count ?? 0 }

    /// The field at `index` as strings.
    public subscript(index: Int) -> (name: String, value: String) {
        (name(at: index), value(at: index))
    }

    /// The name of the field at `index`, as received.
    public func name(at index: Int) -> String {
        let field = field(index)
        return string(Int(field.nameStart), Int(field.nameLength))
    }

    /// The value of the field at `index`, without surrounding whitespace.
    public func value(at index: Int) -> String {
        let field = field(index)
        return string(Int(field.valueStart), Int(field.valueLength))
    }

    /// The value bytes of the field at `index`, sharing storage with the received bytes.
    public func valueBytes(at index: Int) -> ByteBuffer {
        let field = field(index)
        return bytes.getSlice(at: bytes.readerIndex + Int(field.valueStart), length: Int(field.valueLength))!
    }

    /// Calls `body` with the name and value bytes of the field at `index`, without copying or
    /// creating strings; the pointers are valid only inside `body`.
    @inlinable public func withUnsafeField<R>(at index: Int, _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let field = field(index)
        return try storage!.bytes.withUnsafeReadableBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[Int(field.nameStart)..<Int(field.nameStart + field.nameLength)]),
                     UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<Int(field.valueStart + field.valueLength)]))
        }
    }

    /// The first value of the field called `name` (compared case-insensitively), or nil.
    public func first(_ name: String) -> String? {
        firstIndex(named: name).map { value(at: $0) }
    }

    /// All values of the fields called `name` (compared case-insensitively), in order.
    public func values(_ name: String) -> [String] {
        indices.filter { matches($0, name) }.map { value(at: $0) }
    }

    /// The index of the first field called `name` (compared case-insensitively).
    public func firstIndex(named name: String) -> Int? {
        indices.first { matches($0, name) }
    }

    private func matches(_ index: Int, _ name: String) -> Bool {
        let field = field(index)
        guard Int(field.nameLength) == name.utf8.count else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            var offset = Int(field.nameStart)
            for c in name.utf8 {
                if raw[offset] | 0x20 != c | 0x20 { return false }
                offset += 1
            }
            return true
        }
    }

    private func string(_ start: Int, _ length: Int) -> String {
        bytes.getString(at: bytes.readerIndex + start, length: length)!
    }
}

/// The bytes of a header section followed by its field records; immutable after `make`.
@usableFromInline final class FieldStorage: ManagedBuffer<FieldStorage.Header, HTTPHeaders.Field> {
    @usableFromInline struct Header {
        @usableFromInline let bytes: ByteBuffer
        @usableFromInline let count: Int
    }

    // Read through the header pointer: `header` is a class `var`, and every access to it would be
    // checked for exclusivity at run time.
    @inlinable var count: Int { withUnsafeMutablePointerToHeader { $0.pointee.count } }
    @inlinable var bytes: ByteBuffer { withUnsafeMutablePointerToHeader { $0.pointee.bytes } }

    static func make(bytes: ByteBuffer, fields: [HTTPHeaders.Field]) -> FieldStorage {
        let storage = create(minimumCapacity: fields.count) { _ in Header(bytes: bytes, count: fields.count) }
        storage.withUnsafeMutablePointerToElements { elements in
            fields.withUnsafeBufferPointer { source in
                guard let base = source.baseAddress else { return }
                elements.initialize(from: base, count: source.count)
            }
        }
        return unsafeDowncast(storage, to: FieldStorage.self)
    }
}
