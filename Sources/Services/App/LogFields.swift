/// The value of a log line's field, written as its JSON type. Literals and string interpolations
/// convert directly: `["orders": 3, "replayed": true, "error": "\(error)"]`; other values say
/// their type: `.string(queue)`, `.int(attempt)`.
public enum LogValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    /// Written as a number when finite, otherwise as a string (`nan`, `inf`), which JSON
    /// numbers cannot express.
    case double(Double)
    case bool(Bool)
}

extension LogValue: ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .string(String(stringInterpolation: stringInterpolation)) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// The fields of a log line, written in the order given (no hashing or sorting on the way to
/// the line). Written as a dictionary literal; setting a key again replaces its value in place.
public struct LogFields: Sendable, ExpressibleByDictionaryLiteral, Sequence {
    private var fields: [(key: String, value: LogValue)]

    public init(dictionaryLiteral elements: (String, LogValue)...) {
        fields = elements.map { (key: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }

    /// The value of `key`, or nil; setting nil removes it.
    public subscript(key: String) -> LogValue? {
        get { fields.first { $0.key == key }?.value }
        set {
            let index = fields.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let index?, let value?): fields[index].value = value
            case (let index?, nil): fields.remove(at: index)
            case (nil, let value?): fields.append((key, value))
            case (nil, nil): break
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: LogValue)]> {
        fields.makeIterator()
    }
}
