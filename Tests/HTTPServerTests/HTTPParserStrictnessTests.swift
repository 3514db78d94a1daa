import Bytes
import HTTPServer
import Testing

/// Each input must be rejected with the given code and status, whatever the fragmentation.
@Suite struct HTTPParserStrictnessTests {
    static let cases: [(String, HTTPParserError.Code, Int)] = [
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", .bareLineFeed, 400),
        ("GET / HTTP/1.1\r\nHost: a\n\r\n", .bareLineFeed, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n\n", .bareLineFeed, 400),
        ("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareLineFeed, 400),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod, 400),
        (" GET / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod, 400),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine, 400),
        // Tokens of the request line are separated by exactly one SP, never HTAB.
        ("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod, 400),
        ("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .invalidVersion, 400),
        ("GET /a\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET /\u{01} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET example.com HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", .connectNotSupported, 501),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", .invalidVersion, 400),
        ("GET / HTTP/1.10\r\nHost: a\r\n\r\n", .invalidVersion, 400),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/1.2\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .whitespaceBeforeColon, 400),
        ("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", .whitespaceBeforeColon, 400),
        ("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", .invalidHeaderName, 400),
        ("GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", .invalidHeaderName, 400),
        ("GET / HTTP/1.1\r\nHost a\r\n\r\n", .invalidHeaderName, 400),
        ("GET / HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n", .invalidHeaderValue, 400),
        ("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", .invalidHeaderValue, 400),
        ("GET / HTTP/1.1\r\nHost: a\u{7F}\r\n\r\n", .invalidHeaderValue, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n", .obsoleteLineFolding, 400),
        ("GET / HTTP/1.1\r\n Host: a\r\n\r\n", .obsoleteLineFolding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,6\r\n\r\nhello", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 6\r\n\r\nhello", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", .duplicateContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         .contentLengthWithTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
         .contentLengthWithTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding, 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", .chunkedNotFinal, 400),
        // 400 rather than 501: RFC 9112 §6.3 says a request whose final coding is not chunked has
        // a body length that cannot be determined, and requires 400 and a close.
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10, 400),
        ("GET / HTTP/1.1\r\n\r\n", .missingHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .duplicateHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", .unsupportedExpectation, 417),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\n", .bareLineFeed, 400),
        // Whitespace after a chunk size, or around ";" and "=" of an extension, is rejected as in
        // llhttp's strict mode.
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\t\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 ;a\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5; a=b\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a =b\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a= b\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b ;c\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a \r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a\u{0}\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", .missingChunkTerminator, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX", .missingChunkTerminator, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : 1\r\n\r\n", .whitespaceBeforeColon, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\n\r\n", .bareLineFeed, 400),
    ]

    @Test(arguments: cases)
    func rejected(text: String, code: HTTPParserError.Code, status: Int) {
        let outcome = parseEveryWay(text)
        guard case .error(let error) = outcome.end else {
            Issue.record("accepted: \(outcome.requests)")
            return
        }
        #expect(error.code == code)
        #expect(error.status == status)
    }

    /// Inputs close to a rejected one that must be accepted, with the body they carry.
    static let accepted: [(String, String)] = [
        // Leading zeros are digits like any other (llhttp accepts them too).
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\n\r\nhello", "hello"),
        // Whitespace around a field value is OWS, not part of the value (RFC 9110 §5.5), so
        // this is 5; `+5`, `5,6` and `5 6` are rejected above because the value itself is bad.
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  5\r\n\r\nhello", "hello"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t5 \r\n\r\nhello", "hello"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c;d=\"e f\"\r\nhello\r\n0\r\n\r\n", "hello"),
    ]

    @Test(arguments: accepted)
    func acceptedNearMisses(text: String, body: String) {
        let outcome = parseEveryWay(text)
        #expect(outcome.end == .complete)
        #expect(outcome.requests.map { String(decoding: $0.body, as: UTF8.self) } == [body])
    }

    @Test func errorOffsetPointsAtTheProblem() {
        let outcome = parseEveryWay("GET / HTTP/1.1\r\nHost: a\u{0}\r\n\r\n")
        #expect(outcome.end == .error(HTTPParserError(.invalidHeaderValue, offset: 23)))
    }

    @Test func requestsBeforeAnErrorAreDelivered() {
        let outcome = parseEveryWay("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/1.1\r\nHost : a\r\n\r\n")
        #expect(outcome.requests.map(\.target) == ["/ok"])
        #expect(outcome.end == .error(HTTPParserError(.whitespaceBeforeColon, offset: 52)))
    }

    @Test func failureIsSticky() throws {
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(string: "GET / HTTP/9.9\r\n"))
        #expect(throws: HTTPParserError(.unsupportedVersion, offset: 6)) { try parser.next() }
        parser.feed(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(throws: HTTPParserError(.unsupportedVersion, offset: 6)) { try parser.next() }
    }

    static let small = HTTPParserLimits(
        maxRequestLineLength: 32, maxHeaderBytes: 64, maxHeaderCount: 3, maxBodySize: 10, maxChunkLineLength: 16)

    @Test(arguments: [
        ("GET /" + String(repeating: "a", count: 26) + " HTTP/1.1\r\nHost: a\r\n\r\n", HTTPParserError.Code.requestLineTooLong, 414),
        ("GET /" + String(repeating: "a", count: 40), .requestLineTooLong, 414),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "v", count: 40) + "\r\n\r\n", .headersTooLarge, 431),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "v", count: 40), .headersTooLarge, 431),
        ("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", .tooManyHeaders, 431),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", .bodyTooLarge, 413),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n", .bodyTooLarge, 413),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=bcdefghijklmno\r\n", .chunkLineTooLong, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=bcdefghijklmnopqrs", .chunkLineTooLong, 400),
    ])
    func limits(text: String, code: HTTPParserError.Code, status: Int) {
        let outcome = parseEveryWay(text, limits: Self.small)
        guard case .error(let error) = outcome.end else {
            Issue.record("accepted: \(outcome.requests)")
            return
        }
        #expect(error.code == code)
        #expect(error.status == status)
    }

    @Test func withinLimitsAccepted() {
        let outcome = parseEveryWay(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n",
            limits: Self.small)
        #expect(outcome.end == .complete)
        #expect(outcome.requests.first?.body == Array("abcdefghij".utf8))
    }
}
