/// How one feeding of an input ended, in a form two feedings can be compared by.
public struct DecodeOutcome<Value: Equatable>: Equatable {
    /// The decoded values (or parts) in order, normalised so that feedings are comparable.
    public var values: [Value] = []
    /// The decoder's typed error, as its description (which includes the offset).
    public var error: String?
    /// The error's case name, for the summary.
    public var errorKind: String?
    /// Where the error says the problem is, in bytes from the start of the input.
    public var errorOffset: Int?
    /// True when the input stopped mid-value.
    public var partial = false
    /// A broken invariant found while decoding (a limit exceeded in a value, an error that did
    /// not stick); not part of the comparison.
    public var violation: String?

    public init() {}

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.values == rhs.values && lhs.error == rhs.error && lhs.partial == rhs.partial
    }

    /// Records `error` and checks that the decoder repeats it: `repeatNext` calls `next()` again
    /// after feeding more bytes and returns the error it throws, or nil if it threw none.
    /// `kind` names the error's case when `error` is a struct holding a reason enum.
    mutating func fail<E: Error & Equatable>(_ error: E, kind: Any? = nil, offset: Int?, repeatNext: () -> E?) {
        self.error = "\(error)"
        errorOffset = offset
        errorKind = Self.kind(of: kind ?? error)
        let again = repeatNext()
        if again != error {
            violation = "error is not sticky: first \(error), then \(again.map { "\($0)" } ?? "no error")"
        }
    }

    /// The case name of an enum value, without its payload.
    static func kind(of value: Any) -> String {
        if let label = Mirror(reflecting: value).children.first?.label { return label }
        let text = String(describing: value)
        return String(text.prefix { $0 != "(" })
    }
}
