import Bytes
import HTTPClient
import Testing

@Suite struct HTTPResponseParserTests {
    @Test func contentLengthBody() {
        let outcome = parseEveryWay("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        #expect(outcome.end == .complete)
        #expect(outcome.responses == [ParsedResponse(
            status: 200, reason: "OK", minorVersion: 1, headers: [["Content-Type", "application/json"], ["Content-Length", "2"]],
            body: Array("{}".utf8), trailers: [], keepAlive: true)])
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let outcome = parseEveryWay(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=\"v a\\\"l\";flag\r\nhello\r\n7\r\n, world\r\n0\r\nChecksum: abc\r\n\r\n")
        #expect(outcome.end == .complete)
        #expect(outcome.responses.map { String(decoding: $0.body, as: UTF8.self) } == ["hello, world"])
        #expect(outcome.responses.first?.trailers == [["Checksum", "abc"]])
        #expect(outcome.responses.first?.keepAlive == true)
    }

    @Test func bodyUntilCloseEndsWithTheConnection() {
        let text = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nall of it"
        let open = parseEveryWay(text)
        #expect(open.end == .incomplete)
        #expect(open.responses.isEmpty)
        let closed = parseEveryWay(text, closeAtEnd: true)
        #expect(closed.end == .complete)
        #expect(closed.responses.map(\.body) == [Array("all of it".utf8)])
        #expect(closed.responses.first?.keepAlive == false, "a close-delimited body ends the connection")
    }

    @Test func responsesWithoutBodies() {
        let outcome = parseEveryWay("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n")
        #expect(outcome.end == .complete)
        #expect(outcome.responses.map(\.status) == [204, 304])
        #expect(outcome.responses.allSatisfy { $0.body.isEmpty })
        let head = parseEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", headResponses: [0])
        #expect(head.end == .complete)
        #expect(head.responses.map(\.body) == [[], Array("x".utf8)], "a response to HEAD has no body whatever Content-Length says")
    }

    @Test func interimResponsesAreSkipped() {
        let outcome = parseEveryWay("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        #expect(outcome.end == .complete)
        #expect(outcome.responses.map(\.status) == [201])
        #expect(failure("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n") == .unexpectedSwitchingProtocols)
    }

    @Test func keepAliveFollowsVersionAndConnection() {
        let cases: [(String, Bool)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.1 200 OK\r\nConnection: x, CLOSE\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true),
        ]
        for (text, keepAlive) in cases {
            #expect(parseEveryWay(text).responses.map(\.keepAlive) == [keepAlive], "\(text.debugDescription)")
        }
    }

    @Test func statusLineForms() {
        #expect(parseEveryWay("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n").responses.map(\.reason) == [""])
        #expect(parseEveryWay("HTTP/1.1 503 \r\nContent-Length: 0\r\n\r\n").responses.map(\.reason) == [""])
        #expect(parseEveryWay("HTTP/1.1 429 Too Many\tRequests\r\nContent-Length: 0\r\n\r\n").responses.map(\.reason) == ["Too Many\tRequests"])
        #expect(failure("HTTP/1.1 20 OK\r\n\r\n") == .invalidStatusLine)
        #expect(failure("HTTP/1.1  200 OK\r\n\r\n") == .invalidStatusLine)
        #expect(failure("HTTP/1.1 200OK\r\n\r\n") == .invalidStatusLine)
        #expect(failure("HTTP/1.1 099 Low\r\n\r\n") == .invalidStatusCode)
        #expect(failure("HTTP/1.1 200 O\u{1}K\r\n\r\n") == .invalidStatusLine)
        #expect(failure("HTTP/2.0 200 OK\r\n\r\n") == .unsupportedVersion)
        #expect(failure("http/1.1 200 OK\r\n\r\n") == .invalidVersion)
        #expect(failure("HTTP/1.x 200 OK\r\n\r\n") == .invalidVersion)
        #expect(failure("\r\nHTTP/1.1 200 OK\r\n\r\n") == .invalidVersion)
    }

    @Test func malformedFieldLines() {
        #expect(failure("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n") == .bareLineFeed)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n") == .bareLineFeed)
        #expect(failure("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n") == .obsoleteLineFolding)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n") == .whitespaceBeforeColon)
        #expect(failure("HTTP/1.1 200 OK\r\nBad Name: 0\r\n\r\n") == .invalidHeaderName)
        #expect(failure("HTTP/1.1 200 OK\r\n: 0\r\n\r\n") == .invalidHeaderName)
        #expect(failure("HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\n\r\n") == .invalidHeaderValue)
        #expect(failure("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n") == .invalidHeaderValue)
        #expect(failure("HTTP/1.1 200 OK\r\nX-A: a\u{7F}\r\n\r\n") == .invalidHeaderValue)
    }

    @Test func framingAmbiguitiesAreRejected() {
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx") == .duplicateContentLength)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx") == .invalidContentLength)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx") == .invalidContentLength)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n") == .invalidContentLength)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n") == .invalidContentLength)
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n") == .contentLengthWithTransferEncoding)
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == .unsupportedTransferCoding)
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n") == .unsupportedTransferCoding)
        #expect(failure("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") == .transferEncodingInHTTP10)
    }

    @Test func malformedChunks() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(failure(head + "zz\r\n") == .invalidChunkSize)
        #expect(failure(head + "\r\n") == .invalidChunkSize)
        #expect(failure(head + "5 \r\nhello\r\n0\r\n\r\n") == .invalidChunkSize)
        #expect(failure(head + "5; a=b\r\nhello\r\n0\r\n\r\n") == .invalidChunkExtension)
        #expect(failure(head + "5;a=\"open\r\nhello\r\n0\r\n\r\n") == .invalidChunkExtension)
        #expect(failure(head + "5\r\nhelloX\r\n0\r\n\r\n") == .missingChunkTerminator)
        #expect(failure(head + "5\r\nhello\rX0\r\n\r\n") == .missingChunkTerminator)
        #expect(failure(head + "fffffffffffffffff\r\n") == .invalidChunkSize)
        #expect(failure(head + "5\r\nhello\r\n0\r\nBad Trailer: x\r\n\r\n") == .invalidHeaderName)
    }

    @Test func limitsBoundWhatIsBuffered() {
        let limits = HTTPResponseLimits(maxHeaderBytes: 64, maxHeaderCount: 2, maxBodySize: 8, maxChunkLineLength: 8)
        #expect(failure("HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: 60) + "\r\n\r\n", limits: limits) == .headersTooLarge)
        #expect(failure("HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: 60), limits: limits) == .headersTooLarge,
                "a line whose end never comes fails once it passes the limit")
        #expect(failure("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits) == .tooManyHeaders)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n123456789", limits: limits) == .bodyTooLarge)
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n4\r\n1234\r\n0\r\n\r\n", limits: limits) == .bodyTooLarge)
        #expect(failure("HTTP/1.1 200 OK\r\n\r\n123456789", limits: limits, closeAtEnd: true) == .bodyTooLarge)
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;abcdefgh\r\n", limits: limits) == .chunkLineTooLong)
        let fits = parseEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678", limits: limits)
        #expect(fits.end == .complete && fits.responses.count == 1)
    }

    @Test func aStreamCutShortFailsOnlyOnceClosed() {
        let cuts = ["HTTP/1.1 200 O", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"]
        for text in cuts {
            #expect(parseEveryWay(text).end == .incomplete)
            #expect(failure(text, closeAtEnd: true) == .unexpectedEndOfStream)
        }
        #expect(parseEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", closeAtEnd: true).end == .complete)
    }

    @Test func theParserKeepsFailingAfterAnError() throws {
        var parser = HTTPResponseParser()
        parser.feed(ByteBuffer(string: "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"))
        #expect(throws: HTTPResponseParserError.self) { try parser.next() }
        parser.feed(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        #expect(throws: HTTPResponseParserError.self) { try parser.next() }
    }
}
