import Bytes
@testable import HTTPServer
import Testing

@Suite struct HTTPResponseEncoderTests {
    static let date = "Thu, 01 Jan 1970 00:00:00 GMT"

    static func head(_ response: HTTPResponse, _ framing: HTTPResponseEncoder.Framing, _ version: HTTPVersion, keepAlive: Bool) -> String {
        var buffer = ByteBuffer()
        HTTPResponseEncoder.writeHead(response, framing: framing, version: version, keepAlive: keepAlive, date: date, into: &buffer)
        return buffer.description
    }

    @Test func keepAliveHTTP11() {
        let response = HTTPResponse(status: 202, headers: [("X-Id", "7")])
        #expect(Self.head(response, .length(0), .http1_1, keepAlive: true)
            == "HTTP/1.1 202 Accepted\r\nDate: \(Self.date)\r\nX-Id: 7\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func closingAndHTTP10() {
        #expect(Self.head(HTTPResponse(status: 200), .chunked, .http1_1, keepAlive: false)
            == "HTTP/1.1 200 OK\r\nDate: \(Self.date)\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        #expect(Self.head(HTTPResponse(status: 404), .length(3), .http1_0, keepAlive: true)
            == "HTTP/1.0 404 Not Found\r\nDate: \(Self.date)\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n")
        #expect(Self.head(HTTPResponse(status: 204), .none, .http1_1, keepAlive: true)
            == "HTTP/1.1 204 No Content\r\nDate: \(Self.date)\r\n\r\n")
    }

    @Test func fieldsTheServerOwnsAreNotTakenFromTheHandler() {
        let response = HTTPResponse(status: 200, headers: [
            ("content-length", "99"), ("Date", "yesterday"), ("Transfer-Encoding", "gzip"), ("CONNECTION", "upgrade"),
            ("X-Id", "7"), ("Content-Type", "text/plain"),
        ])
        #expect(Self.head(response, .length(3), .http1_1, keepAlive: false)
            == "HTTP/1.1 200 OK\r\nDate: \(Self.date)\r\nX-Id: 7\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\n")
    }

    @Test func receivedFieldsCanBeSentBack() throws {
        let request = try parsedHead("GET / HTTP/1.1\r\nHost: h\r\nX-Trace:  t1 \r\nContent-Length: 0\r\n\r\n")
        #expect(Self.head(HTTPResponse(status: .ok, headers: request.headers), .length(0), .http1_1, keepAlive: true)
            == "HTTP/1.1 200 OK\r\nDate: \(Self.date)\r\nHost: h\r\nX-Trace: t1\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func unsendableFieldsAndPhrasesAreFound() {
        #expect(HTTPResponseEncoder.unsendablePart(of: HTTPResponse(status: .ok, headers: [("X-A", "fine \t value")])) == nil)
        #expect(HTTPResponseEncoder.unsendablePart(of: HTTPResponse(status: .ok, headers: [("X-A", "1\r\nX-Injected: 2")])) != nil)
        #expect(HTTPResponseEncoder.unsendablePart(of: HTTPResponse(status: .ok, headers: [("X A", "1")])) != nil)
        #expect(HTTPResponseEncoder.unsendablePart(of: HTTPResponse(status: .ok, headers: [("", "1")])) != nil)
        #expect(HTTPResponseEncoder.unsendablePart(of: HTTPResponse(status: HTTPStatus(code: 200, reasonPhrase: "OK\r\n"))) != nil)
        #expect(Self.head(HTTPResponse(status: HTTPStatus(code: 299, reasonPhrase: "Odd")), .none, .http1_1, keepAlive: true)
            == "HTTP/1.1 299 Odd\r\nDate: \(Self.date)\r\n\r\n")
    }

    @Test func chunks() {
        var buffer = ByteBuffer()
        HTTPResponseEncoder.writeChunk(ByteBuffer(string: String(repeating: "x", count: 26)), into: &buffer)
        HTTPResponseEncoder.writeChunk(ByteBuffer(), into: &buffer)
        HTTPResponseEncoder.writeLastChunk(into: &buffer)
        #expect(buffer.description == "1a\r\n" + String(repeating: "x", count: 26) + "\r\n0\r\n\r\n")
    }

    @Test func dates() {
        #expect(HTTPDate.format(0) == Self.date)
        #expect(HTTPDate.format(1_795_615_387) == "Wed, 25 Nov 2026 14:03:07 GMT")
    }
}
