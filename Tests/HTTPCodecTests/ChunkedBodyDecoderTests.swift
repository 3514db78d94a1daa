import Bytes
import HTTPCodec
import Testing

/// The chunked-body decoder the request and response parsers share, fed whole, byte by byte and
/// split at every position: the same data, the same end and the same errors every way, each
/// error at the first byte after which the body can no longer be valid.
@Suite struct ChunkedBodyDecoderTests {
    /// The request parser's rule: a size past the body limit fails at the digit that passes it.
    static let atDigit = ChunkedBodyDecoder(maxChunkLineLength: 16, maxBodySize: 10)
    /// The response parser's rule: it fails at the line's start once the line is read.
    static let atLineEnd = ChunkedBodyDecoder(maxChunkLineLength: 16, maxBodySize: 10, sizeLimitCheck: .atLineEnd)
    static let unlimited = ChunkedBodyDecoder(maxChunkLineLength: 1024, maxBodySize: .max)

    @Test(arguments: [atDigit, atLineEnd])
    func chunksAreJoinedAndTheTrailersLeftToTheCaller(decoder: ChunkedBodyDecoder) {
        let outcome = decodedEveryWay("5\r\nhello\r\n5\r\n, wor\r\n0\r\nX-Sum: 1\r\n\r\nGET", decoder: decoder)
        #expect(outcome.error == nil)
        #expect(outcome.ended)
        #expect(String(decoding: outcome.data, as: UTF8.self) == "hello, wor")
        #expect(outcome.bodySize == 10)
        #expect(String(decoding: outcome.rest, as: UTF8.self) == "X-Sum: 1\r\n\r\nGET", "nothing is read past the last chunk's line")
    }

    @Test(arguments: [
        "5;a=b;c;d=\"e f\"\r\nhello\r\n0\r\n\r\n",
        "5;e=\"\\\"\"\r\nhello\r\n0\r\n\r\n",
        "5;e=\"tab\\\tand obs-text \u{E9}\"\r\nhello\r\n0;last\r\n\r\n",
        "05\r\nhello\r\n000\r\n\r\n",
        "2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n",
    ])
    func sizesAndExtensionsAreRead(text: String) {
        let outcome = decodedEveryWay(text, decoder: Self.unlimited)
        #expect(outcome.error == nil && outcome.ended)
        #expect(outcome.data == Array("hello".utf8))
        #expect(outcome.rest == Array("\r\n".utf8))
    }

    @Test func hexDigitsInEitherCase() {
        let data = String(repeating: "x", count: 0xAB)
        let outcome = decodedEveryWay("aB\r\n\(data)\r\n0\r\n", decoder: Self.unlimited)
        #expect(outcome.ended && outcome.data.count == 0xAB && outcome.bodySize == 0xAB)
    }

    @Test func anUnfinishedBodyWaits() {
        for text in ["", "5", "5;a=\"b", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "5\r\nhello\r\n0", "5\r\nhello\r\n0\r"] {
            let outcome = decodedEveryWay(text, decoder: Self.unlimited)
            #expect(outcome.error == nil && !outcome.ended, "\(text.debugDescription)")
        }
    }

    @Test func theDecoderStartsOverForEachBody() throws {
        var decoder = Self.atDigit
        var buffer = ByteBuffer(string: "6\r\nabcdef\r\n0\r\n")
        decoder.start(at: 0)
        while let part = try decoder.next(&buffer), case .data = part {}
        #expect(decoder.bodySize == 6 && decoder.offset == 14)
        #expect(try decoder.next(&buffer) == nil, "after the last chunk nothing more is read")
        // A second body of 6 bytes: the limit counts one body at a time.
        buffer.writeString("6\r\nabcdef\r\n0\r\n")
        decoder.start(at: 14)
        while let part = try decoder.next(&buffer), case .data = part {}
        #expect(decoder.bodySize == 6 && decoder.offset == 28 && buffer.readableBytes == 0)
    }

    static let malformed: [(String, ChunkedBodyError.Code)] = [
        ("¦x\r\n", .invalidChunkSize),
        ("¦\r\n", .invalidChunkSize),
        ("¦;a\r\n", .invalidChunkSize),
        ("5¦x\r\n", .invalidChunkSize),
        ("¦-5\r\n", .invalidChunkSize),
        ("¦ 5\r\n", .invalidChunkSize),
        // No whitespace after the size or around ";" and "=", as in llhttp's strict mode.
        ("5¦ \r\n", .invalidChunkSize),
        ("5¦\t\r\n", .invalidChunkSize),
        ("5;¦ a=b\r\n", .invalidChunkExtension),
        ("5;a¦ =b\r\n", .invalidChunkExtension),
        ("5;a=¦ b\r\n", .invalidChunkExtension),
        ("5;a=b¦ ;c\r\n", .invalidChunkExtension),
        ("5;¦\r\n", .invalidChunkExtension),
        ("5;a=¦\r\n", .invalidChunkExtension),
        ("5;a=\"x¦\r\n", .invalidChunkExtension),
        ("5;a=\"x\\¦\u{1}\"\r\n", .invalidChunkExtension),
        ("5;a=\"x\"¦y\r\n", .invalidChunkExtension),
        ("5;a¦\u{0}\r\n", .invalidChunkExtension),
        ("5;a=b¦\"\r\n", .invalidChunkExtension),
        ("5¦\n", .bareLineFeed),
        ("5;a¦\n", .bareLineFeed),
        ("5;a=\"b\"¦\n", .bareLineFeed),
        ("5\r¦\r\n", .bareCarriageReturn),
        ("5;a=\"b\"\r¦x", .bareCarriageReturn),
        ("3\r\nabc¦X\r\n", .missingChunkTerminator),
        ("3\r\nabc\r¦X", .missingChunkTerminator),
        ("3\r\nabc\r\n¦z\r\n", .invalidChunkSize),
    ]

    @Test(arguments: malformed)
    func malformedBodiesFailAtTheOffendingByte(text: String, code: ChunkedBodyError.Code) {
        expectRejectedAtMark(text, code, decoder: Self.unlimited)
        expectRejectedAtMark(text, code, decoder: Self.atLineEnd)
    }

    @Test func aSizeThatOverflowsIsInvalid() {
        expectRejectedAtMark("fffffffffffffff¦f\r\n", .invalidChunkSize, decoder: Self.unlimited)
        let responseRule = ChunkedBodyDecoder(maxChunkLineLength: 1024, maxBodySize: 1024 * 1024, sizeLimitCheck: .atLineEnd)
        expectRejectedAtMark("fffffffffffffff¦ff\r\n", .invalidChunkSize, decoder: responseRule)
    }

    @Test func theBodyLimitFailsAtTheDigitOrAtTheLineStart() {
        expectRejectedAtMark("6\r\nabcdef\r\n¦5\r\n", .bodyTooLarge, decoder: Self.atDigit)
        expectRejectedAtMark("1¦1\r\n", .bodyTooLarge, decoder: Self.atDigit)
        // Read to its LF, extensions and all, then refused at its first byte.
        expectRejectedAtMark("6\r\nabcdef\r\n¦5;a=b\r\n", .bodyTooLarge, decoder: Self.atLineEnd, arrival: 6)
        expectRejectedAtMark("¦11\r\n", .bodyTooLarge, decoder: Self.atLineEnd, arrival: 3)
        for decoder in [Self.atDigit, Self.atLineEnd] {
            let outcome = decodedEveryWay("6\r\nabcdef\r\n4\r\nghij\r\n0\r\n", decoder: decoder)
            #expect(outcome.ended && outcome.bodySize == 10, "exactly the limit is accepted")
        }
    }

    @Test func aChunkLineFailsAtItsFirstByteBeyondTheLimit() {
        for decoder in [Self.atDigit, Self.atLineEnd] {
            expectRejectedAtMark("1;a=bcdefghijklm¦no\r\n", .chunkLineTooLong, decoder: decoder)
            expectRejectedAtMark("1;a=bcdefghijklm¦nopqrs", .chunkLineTooLong, decoder: decoder)
            expectRejectedAtMark("1;a=bcdefghijkl\r¦\n", .chunkLineTooLong, decoder: decoder)
            let outcome = decodedEveryWay("1;a=bcdefghijk\r\nx\r\n0\r\n", decoder: decoder)
            #expect(outcome.ended && outcome.data == Array("x".utf8), "a line of exactly the limit is accepted")
        }
    }
}
