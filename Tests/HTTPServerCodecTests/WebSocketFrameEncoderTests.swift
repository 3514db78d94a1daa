import Bytes
import HTTPServer
import Testing
import TestSupport

@Suite struct WebSocketFrameEncoderTests {
    static func encoded(_ frame: WebSocketFrame, maskingKey: WebSocketMaskingKey? = nil) throws -> [UInt8] {
        Array(try WebSocketFrameEncoder.encoded(frame, maskingKey: maskingKey).readableBytesView)
    }

    /// The examples of RFC 6455 §5.7, byte for byte.
    @Test func rfcExamples() throws {
        let hello = ByteBuffer(string: "Hello")
        #expect(try Self.encoded(WebSocketFrame(opcode: .text, payload: hello)) == hex("81 05 48 65 6c 6c 6f"))
        #expect(try Self.encoded(WebSocketFrame(opcode: .text, payload: hello), maskingKey: WebSocketMaskingKey(0x37FA_213D))
            == hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"))
        #expect(try Self.encoded(WebSocketFrame(fin: false, opcode: .text, payload: "Hel")) == hex("01 03 48 65 6c"))
        #expect(try Self.encoded(WebSocketFrame(opcode: .continuation, payload: "lo")) == hex("80 02 6c 6f"))
        #expect(try Self.encoded(WebSocketFrame(opcode: .ping, payload: hello)) == hex("89 05 48 65 6c 6c 6f"))
        #expect(try Self.encoded(WebSocketFrame(opcode: .pong, payload: hello), maskingKey: WebSocketMaskingKey(0x37FA_213D))
            == hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"))
        let binary256 = try Self.encoded(WebSocketFrame(opcode: .binary, payload: ByteBuffer(bytes: [UInt8](repeating: 7, count: 256))))
        #expect(binary256.prefix(4) == [0x82, 0x7E, 0x01, 0x00] && binary256.count == 260)
        let binary64K = try Self.encoded(WebSocketFrame(opcode: .binary, payload: ByteBuffer(bytes: [UInt8](repeating: 7, count: 65536))))
        #expect(binary64K.prefix(10) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0] && binary64K.count == 65546)
    }

    /// Masking eight bytes at a time must agree with the RFC's byte-at-a-time definition for
    /// every length and every alignment of the key.
    @Test func maskingMatchesTheDefinition() throws {
        let key = WebSocketMaskingKey(0xA1B2_C3D4)
        let keyBytes: [UInt8] = [0xA1, 0xB2, 0xC3, 0xD4]
        for length in [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 100, 1000] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let bytes = try Self.encoded(WebSocketFrame(opcode: .binary, payload: ByteBuffer(bytes: payload)), maskingKey: key)
            let masked = bytes.suffix(length)
            #expect(Array(masked) == payload.enumerated().map { $0.element ^ keyBytes[$0.offset % 4] }, "length \(length)")
        }
    }

    @Test func framesRoundTripThroughTheDecoder() throws {
        let frames = [
            WebSocketFrame(fin: false, opcode: .text, payload: "ça "),
            WebSocketFrame(opcode: .ping, payload: ByteBuffer(bytes: [UInt8](repeating: 1, count: 125))),
            WebSocketFrame(opcode: .continuation, payload: ByteBuffer(string: String(repeating: "va", count: 40_000))),
            WebSocketFrame(opcode: .close, payload: WebSocketCloseStatus(code: .goingAway, reason: "restart").payload),
        ]
        var bytes: [UInt8] = []
        for (index, frame) in frames.enumerated() {
            bytes += try Self.encoded(frame, maskingKey: WebSocketMaskingKey(UInt32(index) &* 0x9E37_79B9))
        }
        var decoder = WebSocketFrameDecoder()
        decoder.feed(ByteBuffer(bytes: bytes))
        var decoded: [WebSocketFrame] = []
        while let frame = try decoder.next() { decoded.append(frame) }
        #expect(decoded == frames)
    }

    @Test func controlFramesMustBeShortAndWhole() throws {
        var buffer = ByteBuffer(string: "kept")
        let long = WebSocketFrame(opcode: .ping, payload: ByteBuffer(bytes: [UInt8](repeating: 0, count: 126)))
        let error = #expect(throws: WebSocketError.self) { try WebSocketFrameEncoder.encode(long, into: &buffer) }
        #expect(error?.code == .controlFrameTooLong)
        #expect(error?.value == 126)
        #expect(throws: WebSocketError.self) { try WebSocketFrameEncoder.encode(WebSocketFrame(fin: false, opcode: .close), into: &buffer) }
        #expect(buffer == ByteBuffer(string: "kept"))
    }

    @Test func closePayloadsCutTheReasonAtACharacter() {
        #expect(WebSocketCloseStatus(code: nil, reason: "ignored").payload.readableBytes == 0)
        let payload = WebSocketCloseStatus(code: .normalClosure, reason: String(repeating: "é", count: 100)).payload
        #expect(payload.readableBytes == 2 + 122)
        #expect(Array(payload.readableBytesView.prefix(2)) == [0x03, 0xE8])
        #expect(String(validating: Array(payload.readableBytesView.dropFirst(2)), as: UTF8.self) == String(repeating: "é", count: 61))
    }
}
