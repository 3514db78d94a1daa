import Bytes
@testable import HTTPClient
import Testing

@Suite struct HTTPRequestEncodingTests {
    @Test func writesHostAndContentLength() throws {
        let request = HTTPClientRequest(method: "POST", target: "/v1/traces?x=1", headers: ["Content-Type": "application/json"], body: ByteBuffer(string: "{}"))
        let bytes = try request.encoded(host: "127.0.0.1:4318")
        #expect(String(buffer: bytes) == "POST /v1/traces?x=1 HTTP/1.1\r\nHost: 127.0.0.1:4318\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    }

    @Test func refusesWhatWouldBreakTheFraming() {
        let bad: [HTTPClientRequest] = [
            HTTPClientRequest(method: "PO ST", target: "/"),
            HTTPClientRequest(method: "POST", target: "/a b"),
            HTTPClientRequest(method: "POST", target: "a"),
            HTTPClientRequest(method: "POST", target: "/", headers: ["X-A": "a\r\nInjected: 1"]),
            HTTPClientRequest(method: "POST", target: "/", headers: ["Bad Name": "1"]),
            HTTPClientRequest(method: "POST", target: "/", headers: ["Content-Length": "5"]),
            HTTPClientRequest(method: "POST", target: "/", headers: ["host": "elsewhere"]),
        ]
        for request in bad {
            #expect(throws: HTTPClientError.self, "\(request)") { try request.encoded(host: "h") }
        }
    }

    @Test func endpoints() throws {
        let plain = try HTTPEndpoint(url: "http://collector:4318/v1/traces")
        #expect(plain.host == "collector" && plain.port == 4318 && plain.target == "/v1/traces")
        #expect(plain.hostHeader == "collector:4318")
        let bare = try HTTPEndpoint(url: "http://example.com")
        #expect(bare.port == 80 && bare.target == "/" && bare.hostHeader == "example.com")
        let query = try HTTPEndpoint(url: "http://example.com?a=b")
        #expect(query.target == "/?a=b")
        let v6 = try HTTPEndpoint(url: "http://[::1]:4318/p")
        #expect(v6.host == "::1" && v6.port == 4318 && v6.hostHeader == "[::1]:4318")
        for url in ["https://example.com/", "ftp://x/", "http://", "http://:80/", "http://h:0/", "http://h:99999/", "http://u@h/", "http://h/#f", "http://[::1/"] {
            #expect(throws: HTTPClientError.self, "\(url)") { try HTTPEndpoint(url: url) }
        }
    }

    /// An exporter's bad endpoint is logged: its password must not be.
    @Test func invalidURLErrorsMaskThePassword() {
        for url in ["http://app:s3cret@collector:4318/", "https://app:s3cret@collector/"] {
            do {
                _ = try HTTPEndpoint(url: url)
                Issue.record("\(url) was accepted")
            } catch {
                #expect(!error.description.contains("s3cret") && error.description.contains("app:***@collector"), "\(error)")
            }
        }
    }
}

extension String {
    init(buffer: ByteBuffer) {
        self = String(decoding: buffer.readableBytesView, as: UTF8.self)
    }
}
