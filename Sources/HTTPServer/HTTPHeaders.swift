import Bytes

/// The header (or trailer) fields of a request or a response, in order. Names keep their case
/// and are looked up without it; values have no surrounding whitespace.
///
/// A request's fields are a view of the received bytes, read without copying; a response's are
/// the name and value strings given to it. Adding to or removing from received fields first
/// copies them into strings.
///
/// ```swift
/// var headers: HTTPHeaders = [("Content-Type", "application/json")]
/// headers.add(name: "Retry-After", value: "1")
/// request.headers.first("Idempotency-Key")
/// ```
public struct HTTPHeaders: Sendable, RandomAccessCollection, ExpressibleByArrayLiteral {
    @usableFromInline enum Storage: Sendable {
        case received(FieldStorage)
        case built([(name: String, value: String)])
    }

    @usableFromInline var storage: Storage

    /// The fields of a received section.
    init(received: FieldStorage) {
        storage = .received(received)
    }

    /// The fields of a received section of `bytes`, at `fields`.
    init(bytes: ByteBuffer, fields: [FieldStorage.Field]) {
        storage = .received(FieldStorage.make(bytes: bytes, fields: fields))
    }

    /// No fields.
    public init() {
        storage = .built([])
    }

    /// `fields`, in this order.
    public init(_ fields: [(name: String, value: String)]) {
        storage = .built(fields)
    }

    /// `[("Content-Type", "text/plain"), ...]`, in this order.
    public init(arrayLiteral fields: (name: String, value: String)...) {
        storage = .built(fields)
    }

    /// The index of the first field: fields are indexed from 0 in order.
    @inlinable public var startIndex: Int { 0 }
    /// One past the index of the last field: the number of fields.
    @inlinable public var endIndex: Int {
        switch storage {
        case .received(let fields): fields.count
        case .built(let fields): fields.count
        }
    }

    /// The field at `index` as strings.
    public subscript(index: Int) -> (name: String, value: String) {
        (name(at: index), value(at: index))
    }

    /// The name of the field at `index`, as received or given.
    public func name(at index: Int) -> String {
        switch storage {
        case .received(let fields):
            let field = fields.field(index)
            return fields.string(field.nameStart, field.nameLength)
        case .built(let fields):
            return fields[index].name
        }
    }

    /// The value of the field at `index`.
    public func value(at index: Int) -> String {
        switch storage {
        case .received(let fields):
            let field = fields.field(index)
            return fields.string(field.valueStart, field.valueLength)
        case .built(let fields):
            return fields[index].value
        }
    }

    /// The value bytes of the field at `index`; for received fields a slice of the received bytes.
    public func valueBytes(at index: Int) -> ByteBuffer {
        switch storage {
        case .received(let fields):
            let field = fields.field(index)
            let bytes = fields.bytes
            return bytes.getSlice(at: bytes.readerIndex + Int(field.valueStart), length: Int(field.valueLength))!
        case .built(let fields):
            return ByteBuffer(string: fields[index].value)
        }
    }

    /// Calls `body` with the name and value bytes of the field at `index`, without creating
    /// strings (nor copying, for received fields); the pointers are valid only inside `body`.
    @inlinable public func withUnsafeField<R>(at index: Int, _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .received(let fields):
            return try fields.withField(index, body)
        case .built(let fields):
            var (name, value) = fields[index]
            return try name.withUTF8 { name in
                try value.withUTF8 { value in try body(UnsafeRawBufferPointer(name), UnsafeRawBufferPointer(value)) }
            }
        }
    }

    /// The first value of the field called `name` (compared case-insensitively), or nil.
    public func first(_ name: String) -> String? {
        firstIndex(named: name).map { value(at: $0) }
    }

    /// All values of the fields called `name` (compared case-insensitively), in order.
    public func values(_ name: String) -> [String] {
        indices.filter { isNamed($0, name) }.map { value(at: $0) }
    }

    /// The index of the first field called `name` (compared case-insensitively).
    public func firstIndex(named name: String) -> Int? {
        indices.first { isNamed($0, name) }
    }

    /// Whether the field at `index` is called `name`, compared case-insensitively.
    func isNamed(_ index: Int, _ name: String) -> Bool {
        withUnsafeField(at: index) { fieldName, _ in
            fieldName.count == name.utf8.count && zip(fieldName, name.utf8).allSatisfy { Self.foldCase($0) == Self.foldCase($1) }
        }
    }

    /// ASCII letters in lower case; other bytes as they are.
    private static func foldCase(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// Appends a field.
    public mutating func add(name: String, value: String) {
        var fields = builtFields()
        fields.append((name, value))
        storage = .built(fields)
    }

    /// Removes every field called `name` (compared case-insensitively).
    public mutating func remove(name: String) {
        guard firstIndex(named: name) != nil else { return }
        storage = .built(indices.filter { !isNamed($0, name) }.map { self[$0] })
    }

    /// Replaces every field called `name` by one with `value`, or appends it.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    /// The fields as strings, taking them out of `storage` so that a built array stays uniquely
    /// referenced and appending to it does not copy it.
    private mutating func builtFields() -> [(name: String, value: String)] {
        switch storage {
        case .built(let fields):
            storage = .built([])
            return fields
        case .received:
            return map { $0 }
        }
    }
}
