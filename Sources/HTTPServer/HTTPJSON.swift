import Bytes
import Foundation

extension HTTPResponse {
    /// A response whose body is `value` encoded as JSON.
    public static func json(_ value: some Encodable, status: Int = 200) throws -> HTTPResponse {
        let data = try JSONEncoder().encode(value)
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: .bytes(ByteBuffer(bytes: data)))
    }
}

extension HTTPRequest {
    /// The body decoded from JSON.
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }
}
