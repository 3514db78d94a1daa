import Bytes
import HTTPServer
import Testing

@Suite struct HTTPRequestParserTests {
    @Test func getWithHeaders() throws {
        let outcome = parseEveryWay("GET /metrics?sku=1 HTTP/1.1\r\nHost: localhost\r\nAccept:  */* \t\r\nX-Empty:\r\n\r\n")
        #expect(outcome.end == .complete)
        let request = try #require(outcome.requests.first)
        #expect(outcome.requests.count == 1)
        #expect(request.method == "GET")
        #expect(request.target == "/metrics?sku=1")
        #expect(request.version == .http1_1)
        #expect(request.headers == [["Host", "localhost"], ["Accept", "*/*"], ["X-Empty", ""]])
        #expect(request.body.isEmpty)
        #expect(request.trailers == nil)
        #expect(request.keepAlive)
        #expect(!request.expectsContinue)
    }

    @Test func contentLengthBody() throws {
        let outcome = parseEveryWay("POST /orders HTTP/1.1\r\nHost: a\r\nContent-Length:  5 \r\n\r\nhello")
        #expect(outcome.end == .complete)
        let request = try #require(outcome.requests.first)
        #expect(request.body == Array("hello".utf8))
        #expect(request.headers[1] == ["Content-Length", "5"])
    }

    @Test func bodyNotYetComplete() {
        let outcome = parseEveryWay("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello")
        #expect(outcome.requests.isEmpty)
        #expect(outcome.end == .incomplete)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let text = "POST /orders HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value;flag;q=\"a \\\"b\\\"\"\r\nhello\r\n"
            + "0A\r\n, chunked!\r\n"
            + "0\r\nChecksum: abc \r\nX-Note: done\r\n\r\n"
        let outcome = parseEveryWay(text)
        #expect(outcome.end == .complete)
        let request = try #require(outcome.requests.first)
        #expect(request.body == Array("hello, chunked!".utf8))
        #expect(request.trailers == [["Checksum", "abc"], ["X-Note", "done"]])
    }

    @Test func chunkedWithoutTrailers() throws {
        let outcome = parseEveryWay("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        let request = try #require(outcome.requests.first)
        #expect(request.body == Array("abc".utf8))
        #expect(request.trailers == nil)
        #expect(outcome.end == .complete)
    }

    @Test func pipelinedRequests() {
        let text = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
            + "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nq\r\n0\r\n\r\n"
            + "GET /d HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let outcome = parseEveryWay(text)
        #expect(outcome.end == .complete)
        #expect(outcome.requests.map(\.target) == ["/a", "/b", "/c", "/d"])
        #expect(outcome.requests.map { String(decoding: $0.body, as: UTF8.self) } == ["", "xyz", "q", ""])
        #expect(outcome.requests.map(\.keepAlive) == [true, true, true, false])
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", false),
        ("GET / HTTP/1.0\r\n\r\n", false),
        ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
        ("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false),
    ])
    func keepAliveRules(text: String, keepAlive: Bool) throws {
        let request = try #require(parseEveryWay(text).requests.first)
        #expect(request.keepAlive == keepAlive)
    }

    @Test func expectContinueFlagged() throws {
        let request = try #require(parseEveryWay(
            "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nz").requests.first)
        #expect(request.expectsContinue)
        let old = try #require(parseEveryWay("PUT /x HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").requests.first)
        #expect(!old.expectsContinue)
    }

    @Test func targetForms() {
        let outcome = parseEveryWay(
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET http://example.com/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(outcome.requests.map(\.target) == ["*", "http://example.com/x?y"])
        #expect(outcome.end == .complete)
    }

    @Test func leadingEmptyLinesIgnored() {
        let outcome = parseEveryWay("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.requests.map(\.target) == ["/"])
        #expect(outcome.end == .complete)
    }

    @Test func obsTextAllowedInValues() throws {
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf".utf8) + [0xC3, 0xA9] + Array("\r\n\r\n".utf8)
        let request = try #require(parseEveryWay(bytes).requests.first)
        #expect(request.headers[1] == ["X-Name", "café"])
    }

    @Test func headerLookupIsCaseInsensitive() throws {
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(string: "GET / HTTP/1.1\r\nHOST: a\r\nx-id: 1\r\nX-Id: 2\r\n\r\n"))
        guard case .head(let head) = try parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.headers.first("host") == "a")
        #expect(head.headers.values("X-ID") == ["1", "2"])
        #expect(head.headers.first("absent") == nil)
        #expect(head.method == .get)
        #expect(head.method != HTTPMethod("GE"))
        #expect(head.framing == .none)
        guard case .end(nil) = try parser.next() else {
            Issue.record("expected the end")
            return
        }
        #expect(try parser.next() == nil)
        #expect(parser.isIdle)
    }

    @Test func bodyPartsShareTheFedStorage() throws {
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(string: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"))
        _ = try parser.next()
        guard case .body(let body) = try parser.next() else {
            Issue.record("expected a body part")
            return
        }
        #expect(body == ByteBuffer(string: "body"))
        #expect(parser.bufferedBytes == 0)
    }

    @Test func framingReported() throws {
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(string: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n"))
        guard case .head(let head) = try parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.framing == .length(4))
        #expect(!parser.isIdle)
    }

    @Test func rawFeedsAndZeroCopyFieldAccess() throws {
        var parser = HTTPRequestParser()
        let text = Array("GET /t?q HTTP/1.1\r\nHost: h\r\nX-Key:  v1 \r\n\r\n".utf8)
        // Fed in three raw pieces, which the parser copies.
        for piece in [text[..<5], text[5..<20], text[20...]] {
            piece.withUnsafeBytes { parser.feed($0) }
        }
        guard case .head(let head) = try parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.withUnsafeTarget { Array($0) } == Array("/t?q".utf8))
        #expect(head.headers.withUnsafeField(at: 1) { (Array($0), Array($1)) } == (Array("X-Key".utf8), Array("v1".utf8)))
        #expect(head.headers.valueBytes(at: 0) == ByteBuffer(string: "h"))
        #expect(head.headers.firstIndex(named: "x-key") == 1)
    }
}
