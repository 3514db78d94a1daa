import Bytes
import RESP
import Testing

@Suite struct RESPDecoderTests {
    @Test func simpleStringsAndErrors() {
        expectDecoding("+OK\r\n", [simple("OK")])
        expectDecoding("+\r\n", [simple("")])
        expectDecoding("-ERR unknown command\r\n", [.error(ByteBuffer(string: "ERR unknown command"))])
        expectDecoding("+a b\tc\r\n-WRONGTYPE x\r\n", [simple("a b\tc"), .error(ByteBuffer(string: "WRONGTYPE x"))])
    }

    @Test func integersInTheWholeInt64Range() {
        expectDecoding(":0\r\n", [.integer(0)])
        expectDecoding(":-1\r\n:1000\r\n", [.integer(-1), .integer(1000)])
        expectDecoding(":9223372036854775807\r\n", [.integer(.max)])
        expectDecoding(":-9223372036854775808\r\n", [.integer(.min)])
    }

    @Test func nonCanonicalIntegersAreRejectedAtTheOffendingByte() {
        expectDecoding(":+1\r\n", [], end: .error(.invalidInteger(offset: 1)))
        expectDecoding(":01\r\n", [], end: .error(.invalidInteger(offset: 2)))
        expectDecoding(":-0\r\n", [], end: .error(.invalidInteger(offset: 2)))
        expectDecoding(": 1\r\n", [], end: .error(.invalidInteger(offset: 1)))
        expectDecoding(":1 \r\n", [], end: .error(.invalidInteger(offset: 2)))
        expectDecoding(":\r\n", [], end: .error(.invalidInteger(offset: 1)))
        expectDecoding(":-\r\n", [], end: .error(.invalidInteger(offset: 2)))
        expectDecoding(":1x\r\n", [], end: .error(.invalidInteger(offset: 2)))
        expectDecoding(":9223372036854775808\r\n", [], end: .error(.invalidInteger(offset: 19)))
        expectDecoding(":-9223372036854775809\r\n", [], end: .error(.invalidInteger(offset: 20)))
        expectDecoding(":92233720368547758070\r\n", [], end: .error(.invalidInteger(offset: 20)))
    }

    @Test func bulkStringsAreBinarySafeAndEmptyIsNotNull() {
        expectDecoding("$5\r\nhello\r\n", [bulk("hello")])
        expectDecoding("$0\r\n\r\n", [bulk("")])
        expectDecoding("$-1\r\n", [.nullBulkString])
        expectDecoding("$4\r\n\r\n\r\n\r\n", [bulk("\r\n\r\n")])
        expectDecoding([36, 51, 13, 10, 0, 255, 10, 13, 10], [.bulkString(ByteBuffer(bytes: [0, 255, 10]))])
        expectDecoding("$0\r\n\r\n$-1\r\n", [bulk(""), .nullBulkString])
    }

    @Test func bulkPayloadMustEndInCRLF() {
        expectDecoding("$5\r\nhelloXX", [], end: .error(.invalidLineEnding(offset: 9)))
        expectDecoding("$5\r\nhello\rX", [], end: .error(.invalidLineEnding(offset: 10)))
        expectDecoding("$5\r\nhello\n", [], end: .error(.invalidLineEnding(offset: 9)))
        expectDecoding("$1\r\nab\r\n", [], end: .error(.invalidLineEnding(offset: 5)))
    }

    @Test func nonCanonicalLengthsAreRejected() {
        expectDecoding("$-2\r\n", [], end: .error(.invalidLength(offset: 2)))
        expectDecoding("$-0\r\n", [], end: .error(.invalidLength(offset: 2)))
        expectDecoding("$-10\r\n", [], end: .error(.invalidLength(offset: 3)))
        expectDecoding("$01\r\n", [], end: .error(.invalidLength(offset: 2)))
        expectDecoding("$+1\r\n", [], end: .error(.invalidLength(offset: 1)))
        expectDecoding("$\r\n", [], end: .error(.invalidLength(offset: 1)))
        expectDecoding("*1 \r\n", [], end: .error(.invalidLength(offset: 2)))
        expectDecoding("*-2\r\n", [], end: .error(.invalidLength(offset: 2)))
        expectDecoding("*00\r\n", [], end: .error(.invalidLength(offset: 2)))
    }

    @Test func arraysNullArraysAndNesting() {
        expectDecoding("*0\r\n", [.array([])])
        expectDecoding("*-1\r\n", [.nullArray])
        expectDecoding("*2\r\n$3\r\nfoo\r\n:7\r\n", [.array([bulk("foo"), .integer(7)])])
        expectDecoding(
            "*3\r\n*1\r\n+a\r\n*0\r\n*2\r\n$-1\r\n*-1\r\n:1\r\n",
            [.array([.array([simple("a")]), .array([]), .array([.nullBulkString, .nullArray])]), .integer(1)]
        )
    }

    @Test func partialValuesAreNeverReturned() {
        expectDecoding("$5\r\nhel", [], end: .incomplete)
        expectDecoding("*2\r\n:1\r\n", [], end: .incomplete)
        expectDecoding("+OK\r\n+PA", [simple("OK")], end: .incomplete)
        expectDecoding("+OK\r", [], end: .incomplete)
        expectDecoding(":-", [], end: .incomplete)
        expectDecoding("$-1\r", [], end: .incomplete)
    }

    @Test func everyLineNeedsCRLF() {
        expectDecoding("+OK\n", [], end: .error(.invalidLineEnding(offset: 3)))
        expectDecoding("+OK\rX\r\n", [], end: .error(.invalidLineEnding(offset: 3)))
        expectDecoding("-E\n", [], end: .error(.invalidLineEnding(offset: 2)))
        expectDecoding(":1\n", [], end: .error(.invalidLineEnding(offset: 2)))
        expectDecoding(":1\rX", [], end: .error(.invalidLineEnding(offset: 2)))
        expectDecoding("$1\n", [], end: .error(.invalidLineEnding(offset: 2)))
        expectDecoding("*1\r\r", [], end: .error(.invalidLineEnding(offset: 2)))
    }

    @Test func unknownTypeBytesAreErrorsWithStreamOffsets() {
        expectDecoding("!x", [], end: .error(.unknownType(byte: 0x21, offset: 0)))
        expectDecoding("+OK\r\n:1\r\n%2\r\n", [simple("OK"), .integer(1)], end: .error(.unknownType(byte: 0x25, offset: 9)))
        expectDecoding("*2\r\n:1\r\n\r\n", [], end: .error(.unknownType(byte: 13, offset: 8)))
    }

    @Test func limitsAreEnforced() {
        let small = RESPDecoder.Limits(maxBulkLength: 4, maxArrayCount: 2, maxDepth: 2, maxLineLength: 3)
        expectDecoding("$4\r\nfour\r\n", [bulk("four")], limits: small)
        expectDecoding("$5\r\nhello\r\n", [], end: .error(.bulkTooLong(offset: 0, limit: 4)), limits: small)
        expectDecoding("+OK\r\n$10\r\n", [simple("OK")], end: .error(.bulkTooLong(offset: 5, limit: 4)), limits: small)
        expectDecoding("*2\r\n:1\r\n:2\r\n", [.array([.integer(1), .integer(2)])], limits: small)
        expectDecoding("*3\r\n", [], end: .error(.tooManyElements(offset: 0, limit: 2)), limits: small)
        expectDecoding("*1\r\n*1\r\n:1\r\n", [.array([.array([.integer(1)])])], limits: small)
        expectDecoding("*1\r\n*1\r\n*0\r\n", [], end: .error(.nestingTooDeep(offset: 8, limit: 2)), limits: small)
        expectDecoding("+OKAY\r\n", [], end: .error(.lineTooLong(offset: 0, limit: 3)), limits: small)
        expectDecoding("-ERRS\r\n", [], end: .error(.lineTooLong(offset: 0, limit: 3)), limits: small)
        expectDecoding("-ERR\r\n", [.error(ByteBuffer(string: "ERR"))], limits: small)
    }

    @Test func defaultDepthAllowsTenTwentyFourNestedArraysWithoutRecursion() {
        var value = RESPValue.integer(1)
        for _ in 0..<1024 { value = .array([value]) }
        expectDecoding(String(repeating: "*1\r\n", count: 1024) + ":1\r\n", [value])
        expectDecoding(
            String(repeating: "*1\r\n", count: 1025) + ":1\r\n", [],
            end: .error(.nestingTooDeep(offset: 4096, limit: 1024))
        )
    }

    @Test func errorsAreSticky() throws {
        var decoder = RESPDecoder()
        decoder.feed(Array("?\r\n".utf8))
        #expect(throws: RESPError.unknownType(byte: 0x3F, offset: 0)) { try decoder.next() }
        decoder.feed(Array("+OK\r\n".utf8))
        #expect(throws: RESPError.unknownType(byte: 0x3F, offset: 0)) { try decoder.next() }
    }

    @Test func largeArrayArrivingInSmallPiecesDecodesCompletely() throws {
        let count = 50_000
        var bytes = Array("*\(count)\r\n".utf8)
        for index in 0..<count { bytes += Array("$\(String(index).utf8.count)\r\n\(index)\r\n".utf8) }
        var decoder = RESPDecoder()
        var decoded: RESPValue?
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 7)
            decoder.feed(bytes[offset..<end])
            offset = end
            if let value = try decoder.next() {
                #expect(decoded == nil)
                decoded = value
            }
        }
        guard case .array(let elements) = try #require(decoded) else {
            Issue.record("expected an array")
            return
        }
        #expect(elements.count == count)
        #expect(elements.first == bulk("0") && elements.last == bulk("\(count - 1)"))
        #expect(!decoder.hasPartialValue)
    }

    @Test func longLineArrivingByteByByteDecodes() throws {
        let text = String(repeating: "a", count: 60_000)
        var decoder = RESPDecoder()
        var decoded: [RESPValue] = []
        for byte in Array("+\(text)\r\n-\(text)\r\n".utf8) {
            decoder.feed(CollectionOfOne(byte))
            while let value = try decoder.next() { decoded.append(value) }
        }
        #expect(decoded == [simple(text), .error(ByteBuffer(string: text))])
    }

    @Test func decodedValuesStayIntactWhileLaterBytesAreFed() throws {
        var decoder = RESPDecoder()
        decoder.feed(Array("$5\r\nfirst\r\n+kept\r\n$6\r\nsec".utf8))
        let first = try decoder.next()
        let kept = try decoder.next()
        for _ in 0..<1000 {
            decoder.feed(Array("ond\r\n$6\r\nsec".utf8))
            #expect(try decoder.next() == bulk("second"))
        }
        #expect(first == bulk("first") && kept == simple("kept"))
    }

    @Test func bufferFedWholeIsAdoptedAndDecoded() throws {
        var decoder = RESPDecoder()
        decoder.feed(ByteBuffer(string: "$3\r\nabc\r\n:5"))
        #expect(try decoder.next() == bulk("abc"))
        #expect(try decoder.next() == nil)
        decoder.feed(ByteBuffer(string: "\r\n"))
        #expect(try decoder.next() == .integer(5))
        #expect(!decoder.hasPartialValue)
    }
}
