import Bytes

/// A route's path pattern: segments that are literals or `{name}` parameters, matched against a
/// request path segment by segment without splitting it into strings.
///
/// Segments are the non-empty runs between slashes, so `/orders/`, `//orders` and `/orders`
/// are the same path. A parameter matches one non-empty segment, whose value is
/// percent-decoded.
struct HTTPRoutePattern: Sendable, Equatable, CustomStringConvertible {
    enum Segment: Sendable, Equatable {
        case literal([UInt8])
        case parameter(String)
    }

    let segments: [Segment]
    /// The pattern as written.
    let description: String

    /// Parses `pattern`, e.g. `/orders/{id}`. A malformed pattern is a programming error: a brace
    /// anywhere but around a whole segment, an empty name, or a name used twice.
    init(_ pattern: String) {
        var names: Set<String> = []
        segments = pattern.split(separator: "/").map { part in
            guard part.first == "{" || part.last == "}" else {
                precondition(!part.contains("{") && !part.contains("}"), "route \(pattern): braces must enclose a whole segment")
                return .literal(Array(part.utf8))
            }
            let name = String(part.dropFirst().dropLast())
            precondition(part.count > 2 && part.first == "{" && part.last == "}" && !name.contains("{") && !name.contains("}"),
                         "route \(pattern): a parameter is written {name}")
            precondition(names.insert(name).inserted, "route \(pattern): parameter \(name) appears twice")
            return .parameter(name)
        }
        description = pattern
    }

    /// The parameters of `path` (its bytes, without query) when it matches, else nil. Routes
    /// without parameters allocate nothing.
    func match(_ path: UnsafeRawBufferPointer) -> [String: String]? {
        var parameters: [String: String] = [:]
        var i = 0
        for segment in segments {
            while i < path.count && path[i] == UInt8(ascii: "/") { i += 1 }
            let start = i
            while i < path.count && path[i] != UInt8(ascii: "/") { i += 1 }
            guard i > start else { return nil }
            let part = UnsafeRawBufferPointer(rebasing: path[start..<i])
            switch segment {
            case .literal(let bytes):
                guard part.elementsEqual(bytes) else { return nil }
            case .parameter(let name):
                parameters[name] = PercentEncoding.decodeLeniently(String(decoding: part, as: UTF8.self))
            }
        }
        while i < path.count && path[i] == UInt8(ascii: "/") { i += 1 }
        return i == path.count ? parameters : nil
    }
}
