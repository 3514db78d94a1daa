import Bytes
import Foundation

extension HTTPResponse {
    /// A response whose body is `value` encoded as JSON.
    ///
    /// - Throws: `HTTPJSONError` with reason `.unencodable` (or what `value`'s own `encode(to:)`
    ///   reported) and the path of the value.
    public static func json(_ value: some Encodable, status: HTTPStatus = .ok) throws(HTTPJSONError) -> HTTPResponse {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch let error as EncodingError {
            throw HTTPJSONError(encoding: error)
        } catch {
            throw HTTPJSONError(.unencodable, path: "", detail: String(describing: error))
        }
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: .bytes(ByteBuffer(bytes: data)))
    }
}

extension HTTPRequest {
    /// The body decoded from JSON.
    ///
    /// - Throws: `HTTPJSONError` saying what was wrong (malformed JSON, a missing key, a wrong
    ///   type, ...) and where.
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self) throws(HTTPJSONError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw HTTPJSONError(decoding: error)
        } catch {
            // Thrown by `T`'s own `init(from:)`.
            throw HTTPJSONError(.invalidValue, path: "", detail: String(describing: error))
        }
    }
}

extension HTTPJSONError {
    init(decoding error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self.init(.missingKey(key.stringValue), path: Self.path(context.codingPath), detail: context.debugDescription)
        case .typeMismatch(_, let context):
            self.init(.typeMismatch, path: Self.path(context.codingPath), detail: context.debugDescription)
        case .valueNotFound(_, let context):
            self.init(.missingValue, path: Self.path(context.codingPath), detail: context.debugDescription)
        case .dataCorrupted(let context):
            // The decoder reports input it cannot parse as corrupted data at the root, numbers
            // that do not fit their type included; a value refused by its type has a path.
            let malformed = context.codingPath.isEmpty
            self.init(malformed ? .malformed : .invalidValue, path: Self.path(context.codingPath), detail: context.debugDescription)
        @unknown default:
            self.init(.invalidValue, path: "", detail: String(describing: error))
        }
    }

    init(encoding error: EncodingError) {
        switch error {
        case .invalidValue(_, let context):
            self.init(.unencodable, path: Self.path(context.codingPath), detail: context.debugDescription)
        @unknown default:
            self.init(.unencodable, path: "", detail: String(describing: error))
        }
    }

    /// `items[2].qty` for the keys `items`, 2, `qty`.
    static func path(_ keys: [any CodingKey]) -> String {
        var path = ""
        for key in keys {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}
