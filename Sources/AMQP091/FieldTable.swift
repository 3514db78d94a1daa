import Bytes

/// An AMQP field table: named, typed values, e.g. queue arguments or message headers.
///
/// Entries keep their wire order, so decoding and re-encoding reproduces the same bytes. Lookup
/// by key is linear, which beats hashing for the handful of entries tables usually hold.
public struct FieldTable: Sendable, Hashable {
    /// The entries in order.
    public var entries: [(key: String, value: FieldValue)]

    /// An empty table.
    public init() { entries = [] }

    /// A table with these entries, in this order.
    public init(_ entries: [(key: String, value: FieldValue)]) { self.entries = entries }

    /// The value of the first entry named `key`; setting nil removes every entry named `key`,
    /// setting a value replaces the first one or appends.
    public subscript(key: String) -> FieldValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            guard let newValue else {
                entries.removeAll { $0.key == key }
                return
            }
            if let index = entries.firstIndex(where: { $0.key == key }) {
                entries[index].value = newValue
            } else {
                entries.append((key, newValue))
            }
        }
    }

    /// True when the table has no entries.
    public var isEmpty: Bool { entries.isEmpty }

    public static func == (lhs: FieldTable, rhs: FieldTable) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

extension FieldTable: ExpressibleByDictionaryLiteral {
    /// A table with the literal's entries, in the literal's order.
    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        entries = elements.map { (key: $0.0, value: $0.1) }
    }
}

extension ByteBuffer {
    /// Reads a table that is a method argument or property named `field`.
    package mutating func readFieldTable(_ field: String) throws(AMQPError) -> FieldTable {
        try readFieldTable(depth: 0, field)
    }

    /// Reads a table: a 32-bit byte length, then entries filling exactly that many bytes.
    mutating func readFieldTable(depth: Int, _ field: String = "table") throws(AMQPError) -> FieldTable {
        guard depth <= maximumFieldNesting else { throw AMQPError(.nestingTooDeep(limit: maximumFieldNesting), at: readerIndex) }
        var content = try readLengthPrefixed(field)
        var table = FieldTable()
        do {
            while content.buffer.readableBytes > 0 {
                let key = try content.buffer.readShortString("table key")
                table.entries.append((key, try content.buffer.readFieldValue(depth: depth)))
            }
        } catch {
            throw error.shifted(by: content.offset)
        }
        return table
    }

    package mutating func writeFieldTable(_ table: FieldTable, _ field: String) throws(AMQPError) {
        try writeLengthPrefixed(field) { buffer throws(AMQPError) in
            for entry in table.entries {
                try buffer.writeShortString(entry.key, "\(field) key")
                try buffer.writeFieldValue(entry.value, "\(field)[\(entry.key)]")
            }
        }
    }
}
