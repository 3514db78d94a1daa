import Bytes
import HTTPServer
import Testing
import TestSupport

/// The server's frame decoder on byte vectors, each fed whole, byte by byte and split at every
/// position.
@Suite struct WebSocketFrameDecoderTests {
    static let hello = Array("Hello".utf8)

    /// `length` bytes of a pattern that is not its own mask.
    static func payload(_ length: Int) -> [UInt8] { (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) } }

    // MARK: RFC 6455 §5.7

    @Test func rfcSingleFrameMaskedText() {
        let outcome = decodeWebSocketEveryWay(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"))
        #expect(outcome.frames == [WebSocketFrame(opcode: .text, payload: ByteBuffer(string: "Hello"))])
        #expect(outcome.events == [.message(.text("Hello"))])
        #expect(outcome.end == .complete)
    }

    @Test func rfcSingleFrameUnmaskedTextIsRefusedFromAClient() {
        expectWebSocketError(hex("81 05 48 65 6c 6c 6f"), .unmaskedFrame, at: 1)
    }

    @Test func rfcFragmentedTextMasked() {
        let bytes = clientFrame(.text, "Hel", fin: false) + clientFrame(.continuation, "lo")
        let outcome = decodeWebSocketEveryWay(bytes)
        #expect(outcome.frames.map(\.fin) == [false, true])
        #expect(outcome.frames.map(\.opcode) == [.text, .continuation])
        #expect(outcome.events == [.message(.text("Hello"))])
        #expect(outcome.end == .complete)
    }

    @Test func rfcMaskedPong() {
        let outcome = decodeWebSocketEveryWay(hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"))
        #expect(outcome.events == [.control(.pong, Self.hello)])
    }

    @Test func rfcPingMasked() {
        let outcome = decodeWebSocketEveryWay(clientFrame(.ping, Self.hello))
        #expect(outcome.events == [.control(.ping, Self.hello)])
    }

    @Test func rfc256ByteBinaryUses16BitLength() {
        let bytes = clientFrame(.binary, Self.payload(256))
        #expect(bytes.prefix(4) == [0x82, 0xFE, 0x01, 0x00])
        let outcome = decodeWebSocketEveryWay(bytes)
        #expect(outcome.events == [.message(.binary(ByteBuffer(bytes: Self.payload(256))))])
    }

    @Test func rfc64KiBBinaryUses64BitLength() {
        let bytes = clientFrame(.binary, Self.payload(65536))
        #expect(bytes.prefix(10) == [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0])
        let outcome = decodeWebSocketEveryWay(bytes)
        #expect(outcome.events == [.message(.binary(ByteBuffer(bytes: Self.payload(65536))))])
        #expect(outcome.end == .complete)
    }

    // MARK: Valid streams

    @Test func lengthBoundaries() {
        for length in [0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536] {
            let outcome = decodeWebSocket([clientFrame(.binary, Self.payload(length))[...]])
            #expect(outcome.events == [.message(.binary(ByteBuffer(bytes: Self.payload(length))))], "length \(length)")
        }
        #expect(clientFrame(.binary, Self.payload(125))[1] == 0x80 | 125)
        #expect(clientFrame(.binary, Self.payload(65535)).prefix(4) == [0x82, 0xFE, 0xFF, 0xFF])
    }

    @Test func controlFramesBetweenFragments() {
        let bytes = clientFrame(.binary, [1, 2], fin: false) + clientFrame(.ping, "a") + clientFrame(.continuation, [3], fin: false)
            + clientFrame(.pong, "") + clientFrame(.continuation, []) + clientFrame(.text, "é")
        let outcome = decodeWebSocketEveryWay(bytes)
        #expect(outcome.events == [
            .control(.ping, Array("a".utf8)), .control(.pong, []),
            .message(.binary(ByteBuffer(bytes: [1, 2, 3]))), .message(.text("é")),
        ])
        #expect(outcome.end == .complete)
    }

    @Test func textSplitInsideACharacterAcrossFragments() {
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        let bytes = clientFrame(.text, [0x41, euro[0]], fin: false) + clientFrame(.continuation, [euro[1]], fin: false)
            + clientFrame(.continuation, [euro[2], 0x42])
        #expect(decodeWebSocketEveryWay(bytes).events == [.message(.text("A€B"))])
    }

    @Test func emptyMessagesAndCloseFrames() {
        let bytes = clientFrame(.text, "") + clientFrame(.binary, []) + clientFrame(.close, [])
            + clientFrame(.close, [0x03, 0xE8]) + clientFrame(.close, [0x0F, 0xA0] + Array("bye ✓".utf8))
        let outcome = decodeWebSocketEveryWay(bytes)
        #expect(outcome.events == [
            .message(.text("")), .message(.binary(ByteBuffer())),
            .control(.close, []), .control(.close, [0x03, 0xE8]), .control(.close, [0x0F, 0xA0] + Array("bye ✓".utf8)),
        ])
    }

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999])
    func closeCodesThatMayBeSent(code: Int) {
        let outcome = decodeWebSocketEveryWay(clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)]))
        #expect(outcome.end == .complete)
        #expect(outcome.events.count == 1)
    }

    @Test func partialFramesAndMessagesAreIncomplete() {
        let frame = clientFrame(.text, "Hello")
        #expect(decodeWebSocket([frame.dropLast()]).end == .incomplete)
        #expect(decodeWebSocket([clientFrame(.text, "Hel", fin: false)[...]]).end == .incomplete)
        #expect(decodeWebSocket([[0x81][...]]).end == .incomplete)
        #expect(decodeWebSocket([]).end == .complete)
    }

    @Test func aZeroMaskingKeyIsStillAMask() {
        let bytes = [0x81, 0x82, 0, 0, 0, 0] + Array("hi".utf8)
        #expect(decodeWebSocketEveryWay(bytes).events == [.message(.text("hi"))])
    }

    // MARK: Errors, each at its offending byte

    @Test(arguments: [(UInt8(0xC1), "RSV1"), (0xA1, "RSV2"), (0x91, "RSV3"), (0xF1, "all")])
    func reservedBitsFailAtTheFirstByte(first: UInt8, bits: String) {
        expectWebSocketError([first] + clientFrame(.text, "Hello").dropFirst(), .reservedBits, at: 0)
    }

    @Test(arguments: [UInt8(0x3), 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func reservedOpcodesFailAtTheFirstByte(opcode: UInt8) {
        let bytes = clientFrame(.text, "ok") + [0x80 | opcode, 0x80, 1, 2, 3, 4]
        expectWebSocketError(bytes, .reservedOpcode, at: 8)
    }

    @Test func unmaskedFramesFailAtTheMaskBit() {
        expectWebSocketError(clientFrame(.ping, "x") + [0x89, 0x00], .unmaskedFrame, at: 8)
        expectWebSocketError([0x82, 0x7E, 0x01, 0x00], .unmaskedFrame, at: 1)
    }

    @Test(arguments: [UInt8(0x8), 0x9, 0xA])
    func fragmentedControlFramesFail(opcode: UInt8) {
        expectWebSocketError([opcode, 0x80, 1, 2, 3, 4], .fragmentedControlFrame, at: 0)
    }

    @Test func controlFramesOver125BytesFailAtTheLength() {
        expectWebSocketError([0x89, 0x80 | 126, 0x00, 0x7E] + [UInt8](repeating: 0, count: 130), .controlFrameTooLong, at: 1)
        expectWebSocketError([0x88, 0x80 | 127], .controlFrameTooLong, at: 1)
        expectWebSocketError(clientFrame(.text, "a", fin: false) + [0x8A, 0xFE, 0x00, 0x7E], .controlFrameTooLong, at: 8)
    }

    @Test func lengthsMustBeMinimal() {
        expectWebSocketError([0x82, 0xFE, 0x00, 0x7D, 1, 2, 3, 4], .nonMinimalLength, at: 2, detectedAfter: 4)
        expectWebSocketError([0x82, 0xFE, 0x00, 0x00], .nonMinimalLength, at: 2, detectedAfter: 4)
        expectWebSocketError([0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], .nonMinimalLength, at: 2, detectedAfter: 10)
        expectWebSocketError([0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0x05], .nonMinimalLength, at: 2, detectedAfter: 10)
    }

    @Test func sixtyFourBitLengthsMustHaveTheHighBitClear() {
        expectWebSocketError([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0], .invalidLength, at: 2)
        expectWebSocketError([0x82, 0xFF, 0xFF], .invalidLength, at: 2)
    }

    @Test func framesOverTheLimitFailAtTheirLength() {
        let limits = WebSocketLimits(maxFrameSize: 200, maxMessageSize: 1000)
        expectWebSocketError(clientFrame(.binary, Self.payload(201)), .frameTooLarge, at: 2, detectedAfter: 4, limits: limits)
        let small = WebSocketLimits(maxFrameSize: 100, maxMessageSize: 1000)
        expectWebSocketError(clientFrame(.text, "x") + clientFrame(.binary, Self.payload(101)), .frameTooLarge, at: 8, limits: small)
        expectWebSocketError([0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .frameTooLarge, at: 2, detectedAfter: 10)
        #expect(decodeWebSocketEveryWay(clientFrame(.binary, Self.payload(200)), limits: limits).end == .complete)
        if case .error(let error) = decodeWebSocket([clientFrame(.binary, Self.payload(201))[...]], limits: limits).end {
            #expect(error.closeCode == .messageTooBig)
            #expect(error.value == 201 && error.limit == 200)
        }
    }

    @Test func messagesOverTheLimitFailAtTheLengthOfTheFrameThatCrossesIt() {
        let limits = WebSocketLimits(maxFrameSize: 100, maxMessageSize: 150)
        let first = clientFrame(.binary, Self.payload(100), fin: false)
        let bytes = first + clientFrame(.ping, "p") + clientFrame(.continuation, Self.payload(51))
        expectWebSocketError(bytes, .messageTooLarge, at: first.count + 7 + 1, limits: limits)
        let fits = first + clientFrame(.continuation, Self.payload(50), fin: false) + clientFrame(.continuation, [])
        #expect(decodeWebSocketEveryWay(fits, limits: limits).events == [.message(.binary(ByteBuffer(bytes: Self.payload(100) + Self.payload(50))))])
        // A new message starts counting from zero.
        let again = clientFrame(.binary, Self.payload(100)) + clientFrame(.binary, Self.payload(100))
        #expect(decodeWebSocketEveryWay(again, limits: limits).events.count == 2)
        expectWebSocketError(clientFrame(.text, Self.payload(120).map { $0 & 0x7F }), .messageTooLarge, at: 1,
                             limits: WebSocketLimits(maxFrameSize: 200, maxMessageSize: 100))
    }

    @Test func continuationWithoutAMessageFails() {
        expectWebSocketError(clientFrame(.continuation, "x"), .unexpectedContinuation, at: 0)
        let finished = clientFrame(.text, "a", fin: false) + clientFrame(.continuation, "b")
        expectWebSocketError(finished + clientFrame(.continuation, "c"), .unexpectedContinuation, at: finished.count)
    }

    @Test func aNewMessageInsideAFragmentedOneFails() {
        let started = clientFrame(.text, "a", fin: false) + clientFrame(.ping, "")
        expectWebSocketError(started + clientFrame(.binary, "b"), .expectedContinuation, at: started.count)
        expectWebSocketError(started + clientFrame(.text, "b", fin: false), .expectedContinuation, at: started.count)
    }

    @Test func invalidUTF8FailsAtTheOffendingByteBeforeTheFrameIsComplete() {
        // Header of a masked frame with a 7-bit length: 6 bytes.
        let cases: [([UInt8], Int)] = [
            ([0x48, 0xFF, 0x41], 1),                 // never valid
            ([0xC0, 0x80], 0),                       // overlong two-byte form
            ([0xE0, 0x80, 0x80], 1),                 // overlong three-byte form
            ([0xED, 0xA0, 0x80], 1),                 // a surrogate
            ([0xF4, 0x90, 0x80, 0x80], 1),           // above U+10FFFF
            ([0xF5, 0x80], 0),
            ([0x41, 0xE2, 0x82, 0x41], 3),           // a sequence cut short by ASCII
            ([0x80], 0),                              // a lone continuation byte
        ]
        for (payload, index) in cases {
            let frame = clientFrame(.text, payload + Self.payload(40).map { $0 & 0x7F })
            expectWebSocketError(frame, .invalidUTF8, at: 6 + index)
        }
    }

    @Test func invalidUTF8AcrossFragmentsAndAtTheEndOfAMessage() {
        let start = clientFrame(.text, [0x41, 0xE2, 0x82], fin: false)
        expectWebSocketError(start + clientFrame(.continuation, [0x41]), .invalidUTF8, at: start.count + 6)
        let cutShort = start + clientFrame(.ping, "") + clientFrame(.continuation, [])
        expectWebSocketError(cutShort, .invalidUTF8, at: cutShort.count, detectedAfter: cutShort.count)
        let endsInside = clientFrame(.text, [0x41, 0xF0, 0x9F, 0x98])
        expectWebSocketError(endsInside, .invalidUTF8, at: endsInside.count, detectedAfter: endsInside.count)
        // Binary messages and ping payloads are not text.
        let binary = clientFrame(.binary, [0xFF, 0xC0], fin: false) + clientFrame(.continuation, [0x80]) + clientFrame(.ping, [0xFF])
        #expect(decodeWebSocketEveryWay(binary).end == .complete)
    }

    @Test func closePayloadsAreChecked() {
        expectWebSocketError(clientFrame(.close, [0x03]), .invalidClosePayload, at: 6)
        let badReason = clientFrame(.close, [0x03, 0xE8, 0xFF, 0x41])
        expectWebSocketError(badReason, .invalidCloseReason, at: 8, detectedAfter: badReason.count)
        let cut = clientFrame(.close, [0x03, 0xE8, 0x41, 0xE2, 0x82])
        expectWebSocketError(cut, .invalidCloseReason, at: cut.count, detectedAfter: cut.count)
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])
    func closeCodesThatMayNotBeSentFail(code: Int) {
        let bytes = clientFrame(.text, "x") + clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)])
        expectWebSocketError(bytes, .invalidCloseCode, at: 7 + 6, detectedAfter: bytes.count)
    }

    @Test func errorsCarryTheirCloseCodeAndStick() throws {
        var decoder = WebSocketFrameDecoder()
        decoder.feed(ByteBuffer(bytes: clientFrame(.text, [0xFF])))
        let first = #expect(throws: WebSocketError.self) { try decoder.next() }
        #expect(first?.code == .invalidUTF8)
        decoder.feed(ByteBuffer(bytes: clientFrame(.text, "fine")))
        do {
            _ = try decoder.next()
            Issue.record("the error did not stick")
        } catch {
            #expect(error.code == .invalidUTF8)
            #expect(error.closeCode == .invalidPayloadData)
            #expect(error.offset == 6)
            #expect(error.description == "WebSocket 1007: text not UTF-8 at offset 6")
        }
    }
}
