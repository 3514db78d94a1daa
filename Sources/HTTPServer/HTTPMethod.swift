import HTTPCodec

/// A request method: the standard ones as constants, and any other token (an extension method
/// such as `PURGE`). Methods are case-sensitive (RFC 9110 §9.1).
///
/// ```swift
/// if request.method == .post { ... }
/// let purge = HTTPMethod("PURGE")!
/// ```
public struct HTTPMethod: Sendable, Hashable, CustomStringConvertible, RawRepresentable {
    /// The method's name, e.g. `GET`.
    public let rawValue: String

    /// The method called `rawValue`; nil unless it is a token (letters, digits and
    /// ``!#$%&'*+-.^_`|~``).
    public init?(rawValue: String) {
        guard !rawValue.isEmpty, rawValue.utf8.allSatisfy(\.isTokenByte) else {
            return nil
        }
        self.rawValue = rawValue
    }

    /// The method called `name`; nil unless it is a token.
    public init?(_ name: String) {
        self.init(rawValue: name)
    }

    /// A method whose name is known to be a token.
    init(token: String) {
        rawValue = token
    }

    public static let get = HTTPMethod(token: "GET")
    public static let head = HTTPMethod(token: "HEAD")
    public static let post = HTTPMethod(token: "POST")
    public static let put = HTTPMethod(token: "PUT")
    public static let patch = HTTPMethod(token: "PATCH")
    public static let delete = HTTPMethod(token: "DELETE")
    public static let options = HTTPMethod(token: "OPTIONS")
    public static let trace = HTTPMethod(token: "TRACE")
    public static let connect = HTTPMethod(token: "CONNECT")

    /// The method's name.
    public var description: String { rawValue }

    /// The method whose name is the `length` bytes at `p`, which the parser found to be a token:
    /// a constant for the usual ones, without decoding a string.
    static func received(_ p: UnsafeRawBufferPointer) -> HTTPMethod {
        func equals(_ name: StaticString) -> Bool {
            p.elementsEqual(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
        switch p.count {
        case 3 where equals("GET"): return .get
        case 4 where equals("POST"): return .post
        case 4 where equals("HEAD"): return .head
        case 3 where equals("PUT"): return .put
        case 6 where equals("DELETE"): return .delete
        case 5 where equals("PATCH"): return .patch
        case 7 where equals("OPTIONS"): return .options
        default: return HTTPMethod(token: String(decoding: p, as: UTF8.self))
        }
    }
}
