@testable import Bytes
@testable import RESP
import Testing

/// What decoding costs: memory follows the bytes received, never a length or count announced on
/// the wire; values are slices of the fed buffer; work grows linearly with the input.
@Suite struct RESPDecoderResourceTests {
    /// Far below anything a wire count could make the decoder reserve.
    static let small = 64 * 1024

    @Test func maximalArrayCountReservesOnlyForElementsReceived() throws {
        var decoder = RESPDecoder()
        decoder.feed(Array("*16777215\r\n".utf8))
        #expect(try decoder.next() == nil)
        #expect(decoder.reservedElements < 16, "reserved \(decoder.reservedElements) slots before any element arrived")
        decoder.feed(Array(String(repeating: ":1\r\n", count: 1000).utf8))
        #expect(try decoder.next() == nil)
        #expect(decoder.reservedElements < 4 * 1000, "reserved \(decoder.reservedElements) slots for 1,000 elements")
        #expect(decoder.bufferCapacity < Self.small)
    }

    @Test func nestedMaximalCountsShareOneBudgetOfReservedSlots() throws {
        // Each header alone could justify a slot per 3 bytes after it; together they must not
        // reserve more than that once, or nesting multiplies memory per byte received.
        let bytes = Array(String(repeating: "*16777215\r\n", count: 1000).utf8)
        var decoder = RESPDecoder()
        decoder.feed(bytes)
        #expect(try decoder.next() == nil)
        #expect(Double(decoder.reservedElements) <= Double(bytes.count) / 3 * 1.1, "reserved \(decoder.reservedElements) slots for \(bytes.count) bytes")
    }

    @Test func bulkLengthAtTheLimitBuffersOnlyWhatArrived() throws {
        var decoder = RESPDecoder()
        let limit = RESPDecoder.Limits().maxBulkLength
        decoder.feed(Array("$\(limit)\r\nabc".utf8))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferCapacity < Self.small, "buffer of \(decoder.bufferCapacity) bytes for 3 bytes of payload")
        decoder.feed([UInt8](repeating: 0x61, count: 100_000))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferCapacity < 4 * 100_000)
    }

    @Test func bulkStringsAreSlicesOfTheFedBuffer() throws {
        let fed = ByteBuffer(string: "$5\r\nhello\r\n*2\r\n$3\r\nabc\r\n+OK\r\n")
        var decoder = RESPDecoder()
        decoder.feed(fed)
        let base = fed.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        guard case .bulkString(let hello) = try decoder.next(), case .array(let parts) = try decoder.next(),
              case .bulkString(let abc) = parts.first, case .simpleString(let ok) = parts.last
        else {
            Issue.record("unexpected values")
            return
        }
        #expect(hello.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == base + 4)
        #expect(abc.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == base + 19)
        #expect(ok.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == base + 25)
        #expect(hello.storage === fed.storage && abc.storage === fed.storage)
    }

    /// Tokens started to decode an array of `count` bulk strings fed in `chunk`-byte pieces.
    private func work(elements count: Int, chunk: Int) throws -> Int {
        var bytes = Array("*\(count)\r\n".utf8)
        for index in 0..<count { bytes += Array("$8\r\n\(String(10_000_000 + index % 90_000_000))\r\n".utf8) }
        var decoder = RESPDecoder()
        var decoded = 0
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            decoder.feed(bytes[offset..<end])
            offset = end
            while try decoder.next() != nil { decoded += 1 }
        }
        #expect(decoded == 1)
        return decoder.tokensStarted
    }

    @Test(arguments: [7, 1000, 16384])
    func decodingWorkGrowsLinearlyWithTheArray(chunk: Int) throws {
        let small = try work(elements: 5_000, chunk: chunk)
        let large = try work(elements: 20_000, chunk: chunk)
        // Each element is one token, plus at most one restarted token per chunk.
        #expect(small >= 5_000)
        #expect(Double(large) <= 4.2 * Double(small), "4x the elements cost \(Double(large) / Double(small))x the work")
    }
}
