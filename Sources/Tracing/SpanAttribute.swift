/// The value of an attribute: a string, integer, double or boolean, or a homogeneous array of
/// one of them, as OpenTelemetry attributes are. Literals convert directly:
/// `span.setAttribute("http.response.status_code", 202)`.
public enum AttributeValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case stringArray([String])
    case intArray([Int64])
    case doubleArray([Double])
    case boolArray([Bool])
}

extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// One attribute: a key (by the semantic conventions, such as `http.request.method`) and a value.
public struct Attribute: Sendable, Hashable {
    public let key: String
    public let value: AttributeValue

    public init(_ key: String, _ value: AttributeValue) {
        self.key = key
        self.value = value
    }
}

/// The attributes of a span, an event or a link, in the order first set; setting a key again
/// replaces its value in place. Beyond `limit` distinct keys, new keys are counted as dropped.
public struct Attributes: Sendable, Hashable, RandomAccessCollection {
    public private(set) var elements: [Attribute] = []
    /// Keys refused because the limit was reached.
    public private(set) var droppedCount = 0
    /// The most distinct keys kept.
    public let limit: Int

    /// No attributes, keeping at most `limit` keys (OpenTelemetry's default is 128).
    public init(limit: Int = 128) {
        self.limit = limit
    }

    public var startIndex: Int { elements.startIndex }
    public var endIndex: Int { elements.endIndex }
    public subscript(position: Int) -> Attribute { elements[position] }

    /// The value of `key`, or nil; setting nil removes it.
    public subscript(key: String) -> AttributeValue? {
        get { elements.first { $0.key == key }?.value }
        set {
            if let index = elements.firstIndex(where: { $0.key == key }) {
                if let newValue { elements[index] = Attribute(key, newValue) } else { elements.remove(at: index) }
            } else if let newValue {
                if elements.count < limit { elements.append(Attribute(key, newValue)) } else { droppedCount += 1 }
            }
        }
    }
}
