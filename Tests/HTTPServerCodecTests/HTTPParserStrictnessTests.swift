import Bytes
import HTTPServer
import Testing

/// Each input must be rejected with the given code and status, whatever the fragmentation, and
/// as soon as the byte marked `¦` arrives: the first byte after which the stream can no longer
/// become valid (as llhttp and httparse reject). The error's offset is that byte's.
@Suite struct HTTPParserStrictnessTests {
    static let cases: [(String, HTTPParserError.Code, Int)] = [
        ("GET / HTTP/1.1¦\nHost: a\r\n\r\n", .bareLineFeed, 400),
        ("GET / HTTP/1.1\r\nHost: a¦\n\r\n", .bareLineFeed, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n¦\n", .bareLineFeed, 400),
        ("¦\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareLineFeed, 400),
        ("\r¦GET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareCarriageReturn, 400),
        ("GET / HTTP/1.1\r¦Host: a\r\n\r\n", .bareCarriageReturn, 400),
        ("GET / HTTP/1.1\r\nHost: a\r¦b\r\n\r\n", .bareCarriageReturn, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n\r¦X", .bareCarriageReturn, 400),
        ("G¦(T / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod, 400),
        ("¦ GET / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod, 400),
        ("GET ¦ / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine, 400),
        ("GET¦\r\n", .invalidRequestLine, 400),
        ("GET /¦\r\n", .invalidRequestLine, 400),
        // Tokens of the request line are separated by exactly one SP, never HTAB.
        ("GET¦\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod, 400),
        ("GET /¦\tHTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET / HTTP/1.1¦ \r\nHost: a\r\n\r\n", .invalidVersion, 400),
        ("GET /a¦\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET /¦\u{01} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET example.com¦ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET ex¦_ample:x HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET ¦1http://a HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET http:¦ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET ¦* HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("OPTIONS *¦x HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("CONNECT ¦example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", .connectNotSupported, 501),
        ("GET / ¦http/1.1\r\nHost: a\r\n\r\n", .invalidVersion, 400),
        ("GET / HTTP/1.1¦0\r\nHost: a\r\n\r\n", .invalidVersion, 400),
        ("GET / HTTP/1¦!", .invalidVersion, 400),
        ("GET / HTTP/¦2.0\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/1.¦2\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/¦5.6", .unsupportedVersion, 505),
        ("GET / HTTP/1.1\r\nHost¦ : a\r\n\r\n", .whitespaceBeforeColon, 400),
        ("GET / HTTP/1.1\r\nHost¦\t: a\r\n\r\n", .whitespaceBeforeColon, 400),
        ("GET / HTTP/1.1\r\nHost¦ a\r\n\r\n", .whitespaceBeforeColon, 400),
        ("GET / HTTP/1.1\r\nHo¦(st: a\r\n\r\n", .invalidHeaderName, 400),
        ("GET / HTTP/1.1\r\n¦: a\r\nHost: a\r\n\r\n", .invalidHeaderName, 400),
        ("GET / HTTP/1.1\r\nHost¦\r\n\r\n", .invalidHeaderName, 400),
        ("GET / HTTP/1.1\r\nHost: a¦\u{0}b\r\n\r\n", .invalidHeaderValue, 400),
        ("GET / HTTP/1.1\r\nHost: a¦\u{7F}\r\n\r\n", .invalidHeaderValue, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n¦  2\r\n\r\n", .obsoleteLineFolding, 400),
        ("GET / HTTP/1.1\r\n¦ Host: a\r\n\r\n", .obsoleteLineFolding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ¦+5\r\n\r\nhello", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ¦-1\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5¦,6\r\n\r\nhello", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 ¦6\r\n\r\nhello", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:¦\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0¦x5\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5¦\u{0}\r\n\r\n", .invalidHeaderValue, 400),
        // Past the body limit (8 MiB) at the seventh digit, long before the value would overflow.
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999¦99999999999999\r\n\r\n", .bodyTooLarge, 413),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length¦: 5\r\n\r\nhello", .duplicateContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding¦: chunked\r\n\r\n0\r\n\r\n",
         .contentLengthWithTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length¦: 5\r\n\r\n0\r\n\r\n",
         .contentLengthWithTransferEncoding, 400),
        // A coding after `chunked` can never be undone; one that is not followed by `chunked`
        // shows only at the end of the header section.
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, ¦gzip\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: ¦gzip\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,¦chunked\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r¦\n", .unsupportedTransferCoding, 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r¦\n", .chunkedNotFinal, 400),
        // 400 rather than 501: RFC 9112 §6.3 says a request whose final coding is not chunked has
        // a body length that cannot be determined, and requires 400 and a close.
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r¦\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ¦\"chunked\"\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chu ¦nked\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked¦;q=1\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r¦\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked¦\u{0B}\r\n\r\n", .invalidHeaderValue, 400),
        ("POST / HTTP/1.0\r\nTransfer-Encoding¦: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10, 400),
        ("GET / HTTP/1.1\r\n\r¦\n", .missingHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost¦: b\r\n\r\n", .duplicateHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: ¦200-ok\r\n\r\n", .unsupportedExpectation, 417),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue¦s\r\n\r\n", .unsupportedExpectation, 417),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-cont¦\r\n\r\n", .unsupportedExpectation, 417),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n¦x\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n¦\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5¦x\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n¦-5\r\n", .invalidChunkSize, 400),
        // Past the body limit at the seventh hexadecimal digit, before the size would overflow.
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n100000¦0000000000\r\n", .bodyTooLarge, 413),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5¦\n", .bareLineFeed, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r¦\r\n", .bareCarriageReturn, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\"\r¦x", .bareCarriageReturn, 400),
        // Whitespace after a chunk size, or around ";" and "=" of an extension, is rejected as in
        // llhttp's strict mode.
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5¦ \r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5¦\t\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5¦ ;a\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n¦ 5\r\n", .invalidChunkSize, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;¦ a=b\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a¦ =b\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=¦ b\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b¦ ;c\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a¦ \r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;¦\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=¦\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x¦\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\\¦\u{1}\"\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\"¦y\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a¦\u{0}\r\n", .invalidChunkExtension, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc¦X\r\n", .missingChunkTerminator, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r¦X", .missingChunkTerminator, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX¦ : 1\r\n\r\n", .whitespaceBeforeColon, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1¦\n\r\n", .bareLineFeed, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r¦0", .bareCarriageReturn, 400),
    ]

    @Test(arguments: cases)
    func rejectedAtTheOffendingByte(text: String, code: HTTPParserError.Code, status: Int) {
        expectRejectedAtMark(text, HTTPParserError(code, offset: marker(in: text)), status: status)
    }

    /// The cases of the report that found errors reported late: each stream stops right after
    /// its offending byte, so an error that waits for a line end never comes.
    @Test(arguments: [
        ("GET / HTTP/¦5", HTTPParserError.Code.unsupportedVersion),
        ("GET / HTTP/1¦!", .invalidVersion),
        ("GET / HTTP/1.1\r\n¦ ", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\nHost: a\r\n\r¦x", .bareCarriageReturn),
    ])
    func errorsDoNotWaitForALineFeed(text: String, code: HTTPParserError.Code) {
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(bytes: unmarked(text)))
        #expect(throws: HTTPParserError(code, offset: marker(in: text))) {
            while try parser.next() != nil {}
        }
    }

    /// Inputs close to a rejected one that must be accepted, with the body they carry.
    static let accepted: [(String, String)] = [
        // Leading zeros are digits like any other (llhttp accepts them too).
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\n\r\nhello", "hello"),
        // Whitespace around a field value is OWS, not part of the value (RFC 9110 §5.5), so
        // this is 5; `+5`, `5,6` and `5 6` are rejected above because the value itself is bad.
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  5\r\n\r\nhello", "hello"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t5 \r\n\r\nhello", "hello"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 8388608\r\n\r\n", ""),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c;d=\"e f\"\r\nhello\r\n0\r\n\r\n", "hello"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , Chunked ,\r\n\r\n5;e=\"\\\"\"\r\nhello\r\n0\r\n\r\n", "hello"),
        ("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-CONTINUE \r\nContent-Length: 5\r\n\r\nhello", "hello"),
        ("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "hello"),
        ("POST a+b.c-d:x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "hello"),
    ]

    @Test(arguments: accepted)
    func acceptedNearMisses(text: String, body: String) {
        let outcome = parseEveryWay(text)
        if outcome.end == .incomplete {
            // A body larger than the test sends: the head was accepted.
            #expect(body.isEmpty)
            return
        }
        #expect(outcome.end == .complete)
        #expect(outcome.requests.map { String(decoding: $0.body, as: UTF8.self) } == [body])
    }

    @Test func requestsBeforeAnErrorAreDelivered() {
        let outcome = parseEveryWay("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/1.1\r\nHost : a\r\n\r\n")
        #expect(outcome.requests.map(\.target) == ["/ok"])
        #expect(outcome.end == .error(HTTPParserError(.whitespaceBeforeColon, offset: 52)))
    }

    @Test func failureIsSticky() throws {
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(string: "GET / HTTP/9.9\r\n"))
        #expect(throws: HTTPParserError(.unsupportedVersion, offset: 11)) { try parser.next() }
        parser.feed(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(throws: HTTPParserError(.unsupportedVersion, offset: 11)) { try parser.next() }
    }

    static let small = HTTPParserLimits(
        maxRequestLineLength: 32, maxHeaderBytes: 64, maxHeaderCount: 3, maxBodySize: 10, maxChunkLineLength: 16)

    /// Each limit is passed at its first byte beyond it: a line, section or chunk-size line of
    /// exactly the limit is accepted.
    @Test(arguments: [
        ("GET /" + String(repeating: "a", count: 26) + " ¦HTTP/1.1\r\nHost: a\r\n\r\n", HTTPParserError.Code.requestLineTooLong, 414),
        ("GET /" + String(repeating: "a", count: 27) + "¦" + String(repeating: "a", count: 13), .requestLineTooLong, 414),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "v", count: 31) + "¦" + String(repeating: "v", count: 9) + "\r\n\r\n",
         .headersTooLarge, 431),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "v", count: 31) + "¦v", .headersTooLarge, 431),
        ("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n¦C: 3\r\n\r\n", .tooManyHeaders, 431),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1¦1\r\n\r\n", .bodyTooLarge, 413),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n¦5\r\n", .bodyTooLarge, 413),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=bcdefghijklm¦no\r\n", .chunkLineTooLong, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=bcdefghijklm¦nopqrs", .chunkLineTooLong, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + String(repeating: "v", count: 61) + "¦v\r\n\r\n",
         .headersTooLarge, 431),
    ])
    func limits(text: String, code: HTTPParserError.Code, status: Int) {
        expectRejectedAtMark(text, HTTPParserError(code, offset: marker(in: text)), status: status, limits: Self.small)
    }

    @Test func withinLimitsAccepted() {
        let outcome = parseEveryWay(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n",
            limits: Self.small)
        #expect(outcome.end == .complete)
        #expect(outcome.requests.first?.body == Array("abcdefghij".utf8))
    }

    @Test func exactlyAtTheLimitsAccepted() {
        // A request line of 32 bytes, a header section of 64, a chunk-size line of 16.
        let line = "GET /" + String(repeating: "a", count: 16) + " HTTP/1.1\r\n"
        let head = line + "Host: a\r\nX: " + String(repeating: "v", count: 64 - line.utf8.count - 16) + "\r\n\r\n"
        #expect(line.utf8.count == 32 && head.utf8.count == 64)
        #expect(parseEveryWay(head, limits: Self.small).end == .complete)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=bcdefghijk\r\nx\r\n0\r\n\r\n"
        #expect(parseEveryWay(chunked, limits: Self.small).requests.first?.body == Array("x".utf8))
    }
}
