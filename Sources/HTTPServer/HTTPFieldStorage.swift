import Bytes

/// The received bytes of a header section and the records of its fields, in one allocation, so
/// that a request head is a single reference: parts are copied on their way to the caller, and
/// each reference costs a retain and a release per copy.
///
/// The buffer is never mutated after `make`, which is why the unchecked `Sendable` is sound
/// (`ManagedBuffer` itself cannot be `Sendable`).
@usableFromInline struct FieldStorage: @unchecked Sendable {
    /// Where a field's name and value lie in the section's bytes, relative to their reader
    /// index. 32-bit offsets keep records compact; sections are bounded by
    /// `HTTPParserLimits.maxHeaderBytes`.
    @usableFromInline struct Field: Sendable {
        @usableFromInline var nameStart: UInt32
        @usableFromInline var nameLength: UInt32
        @usableFromInline var valueStart: UInt32
        @usableFromInline var valueLength: UInt32
    }

    @usableFromInline let buffer: FieldBuffer

    static func make(bytes: ByteBuffer, fields: [Field]) -> FieldStorage {
        FieldStorage(buffer: FieldBuffer.make(bytes: bytes, fields: fields))
    }

    @inlinable var count: Int { buffer.count }
    @inlinable var bytes: ByteBuffer { buffer.bytes }

    @inlinable func field(_ index: Int) -> Field {
        precondition(index >= 0 && index < count, "HTTPHeaders index out of range")
        return buffer.withUnsafeMutablePointerToElements { $0[index] }
    }

    /// Calls `body` with the name and value bytes of field `index`.
    @inlinable func withField<R>(_ index: Int, _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let field = field(index)
        return try bytes.withUnsafeReadableBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[Int(field.nameStart)..<Int(field.nameStart + field.nameLength)]),
                     UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<Int(field.valueStart + field.valueLength)]))
        }
    }

    /// The section's bytes at `start`, `length` long, as a string.
    func string(_ start: UInt32, _ length: UInt32) -> String {
        let bytes = bytes
        return bytes.getString(at: bytes.readerIndex + Int(start), length: Int(length))!
    }
}

/// The allocation behind `FieldStorage`: the bytes and the field count, then the records.
@usableFromInline final class FieldBuffer: ManagedBuffer<FieldBuffer.Header, FieldStorage.Field> {
    @usableFromInline struct Header {
        @usableFromInline let bytes: ByteBuffer
        @usableFromInline let count: Int
    }

    // Read through the header pointer: `header` is a class `var`, and every access to it would be
    // checked for exclusivity at run time.
    @inlinable var count: Int { withUnsafeMutablePointerToHeader { $0.pointee.count } }
    @inlinable var bytes: ByteBuffer { withUnsafeMutablePointerToHeader { $0.pointee.bytes } }

    static func make(bytes: ByteBuffer, fields: [FieldStorage.Field]) -> FieldBuffer {
        let storage = create(minimumCapacity: fields.count) { _ in Header(bytes: bytes, count: fields.count) }
        storage.withUnsafeMutablePointerToElements { elements in
            fields.withUnsafeBufferPointer { source in
                guard let base = source.baseAddress else { return }
                elements.initialize(from: base, count: source.count)
            }
        }
        return unsafeDowncast(storage, to: FieldBuffer.self)
    }
}
