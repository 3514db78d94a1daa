/// Why a request body could not be decoded from JSON, or a value could not be encoded to it,
/// and where in the document.
public struct HTTPJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Sendable, Equatable {
        /// The body is not well-formed JSON, or has a number that does not fit its type (the
        /// decoder does not tell the two apart).
        case malformed
        /// A required key is absent.
        case missingKey(String)
        /// A value has another JSON type than the one expected, e.g. a string for a number.
        case typeMismatch
        /// A required value is null.
        case missingValue
        /// A value has the right JSON type but is not acceptable, e.g. a string that is none of
        /// an enumeration's raw values.
        case invalidValue
        /// A value cannot be represented in JSON, e.g. a non-finite floating-point number.
        case unencodable
    }

    /// What was wrong.
    public let reason: Reason
    /// Where: the path of keys and indices to the value, e.g. `items[2].qty`; empty for the
    /// document as a whole.
    public let path: String
    /// The decoder's or encoder's own explanation.
    public let detail: String

    /// An error for `reason` at `path`.
    public init(_ reason: Reason, path: String, detail: String) {
        self.reason = reason
        self.path = path
        self.detail = detail
    }

    /// The reason, the path and the detail, for logs and error responses.
    public var description: String {
        let what = switch reason {
        case .malformed: "malformed JSON"
        case .missingKey(let key): "missing key \"\(key)\""
        case .typeMismatch: "wrong type"
        case .missingValue: "missing value"
        case .invalidValue: "invalid value"
        case .unencodable: "value not representable in JSON"
        }
        return path.isEmpty ? "\(what): \(detail)" : "\(what) at \(path): \(detail)"
    }
}
