import Bytes
import HTTPServer

extension HTTPRequest {
    struct ParseFailure: Error {}

    /// The one request `raw` holds, read by the real parser.
    static func parsing(_ raw: String) throws -> HTTPRequest {
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(string: raw))
        guard case .head(let head) = try parser.next() else { throw ParseFailure() }
        var body = ByteBuffer()
        parts: while let part = try parser.next() {
            switch part {
            case .body(let bytes): body.writeBuffer(bytes)
            case .end: break parts
            case .head: throw ParseFailure()
            }
        }
        return HTTPRequest(head: head, body: body)
    }
}
