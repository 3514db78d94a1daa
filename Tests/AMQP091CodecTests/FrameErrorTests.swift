import AMQP091
import Bytes
import Testing
import TestSupport

/// Malformed streams: each must fail with the right reason, stream offset and reply code in
/// every feeding.
@Suite struct FrameErrorTests {
    func expectError(
        _ bytes: [UInt8], _ reason: AMQPError.Reason, at offset: Int, replyCode: ReplyCode, maximumFrameSize: Int = 131_072,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = AMQPError(reason, at: offset)
        #expect(error.replyCode == replyCode, sourceLocation: sourceLocation)
        expectDecoding(bytes, .error(error), maximumFrameSize: maximumFrameSize, sourceLocation: sourceLocation)
    }

    @Test func oversizedFrameIsRefusedBeforeItsPayloadArrives() {
        // Only the 7-byte frame header is fed: the size alone must trigger the error.
        expectError(hex("01 0001 00100000"), .frameTooLarge(size: 0x100008, limit: 4096), at: 0, replyCode: .frameError, maximumFrameSize: 4096)
    }

    @Test func frameSizeLimitCountsHeaderAndFrameEnd() {
        // A 4096-byte frame (4088-byte body) passes frame_max 4096; one more byte does not.
        let fits = hex("03 0001 00000ff8") + [UInt8](repeating: 0x61, count: 4088) + [0xce]
        expectDecoding(fits, .frames([.body(channel: 1, ByteBuffer(bytes: fits[7..<4095]))], incomplete: false), maximumFrameSize: 4096)
        expectError(hex("03 0001 00000ff9"), .frameTooLarge(size: 4097, limit: 4096), at: 0, replyCode: .frameError, maximumFrameSize: 4096)
    }

    @Test func badFrameEnd() {
        expectError(hex("08 0000 00000000 08000000000000ce cd"), .badFrameEnd(0x08), at: 7, replyCode: .frameError)
    }

    @Test func unknownFrameType() {
        expectError(hex("08 0000 00000000 ce 04 0000 00000000 ce"), .unknownFrameType(4), at: 8, replyCode: .frameError)
    }

    @Test func heartbeatOnAChannel() {
        expectError(hex("08 0001 00000000 ce"), .invalidHeartbeat(channel: 1, size: 0), at: 0, replyCode: .frameError)
    }

    @Test func trailingBytesInMethodFrame() {
        expectError(hex("01 0001 0000000e 003c 0050 000000000000002a 01 ff ce"), .trailingBytes(1), at: 20, replyCode: .syntaxError)
    }

    @Test func methodArgumentsCutShortByTheFrame() {
        expectError(hex("01 0001 0000000c 003c 0050 000000000000002a ce"), .truncated("multiple"), at: 19, replyCode: .syntaxError)
    }

    @Test func unknownMethod() {
        expectError(hex("01 0001 00000004 003c 00ff ce"), .unknownMethod(classID: 60, methodID: 255), at: 7, replyCode: .commandInvalid)
    }

    @Test func tableLengthShorterThanItsEntries() {
        // The table claims 4 bytes, which end inside the long string of its only entry.
        expectError(
            hex("01 0001 00000015 0032 000a 0000 0171 02 00000004 016b5300 00000176 ce"),
            .truncated("long string value"), at: 23, replyCode: .syntaxError)
    }

    @Test func tableLengthLongerThanTheFrame() {
        expectError(
            hex("01 0001 00000015 0032 000a 0000 0171 02 00000009 016b53 00000001 76 ce"),
            .truncated("arguments"), at: 16, replyCode: .syntaxError)
    }

    @Test func unknownFieldType() {
        expectError(hex("01 0001 00000010 0032 000a 0000 0171 02 00000003 016b5a ce"), .unknownFieldType(0x5a), at: 22, replyCode: .syntaxError)
    }

    @Test func shortStringThatIsNotUTF8() {
        expectError(hex("01 0001 00000009 003c 0046 0000 01ff 00 ce"), .invalidUTF8("queue"), at: 14, replyCode: .syntaxError)
    }

    @Test func nestingIsLimited() {
        // queue.declare whose arguments nest 40 tables: {"k": {"k": ... {}}}.
        var table: [UInt8] = [0, 0, 0, 0]
        for _ in 0..<40 {
            let content: [UInt8] = [1, 0x6b, 0x46] + table
            table = withUnsafeBytes(of: UInt32(content.count).bigEndian, Array.init) + content
        }
        let payload: [UInt8] = hex("0032 000a 0000 0171 02") + table
        let frame = [1, 0, 1] + withUnsafeBytes(of: UInt32(payload.count).bigEndian, Array.init) + payload + [0xce]
        // The 33rd nested table's length starts 9 payload bytes + 33 × 7 bytes per level in.
        expectError(frame, .nestingTooDeep(limit: 32), at: 7 + 9 + 33 * 7, replyCode: .syntaxError)
    }

    @Test func unknownPropertyFlags() {
        expectError(hex("02 0001 0000000e 003c 0000 0000000000000000 0002 ce"), .unknownPropertyFlags(2), at: 19, replyCode: .syntaxError)
    }

    @Test func contentHeaderForAClassWithoutContent() {
        expectError(hex("02 0001 0000000e 0032 0000 0000000000000000 0000 ce"), .unknownContentClass(50), at: 7, replyCode: .commandInvalid)
    }

    @Test func decoderStaysFailed() throws {
        var decoder = FrameDecoder()
        decoder.append(contentsOf: hex("04 0000 00000000 ce 08 0000 00000000 ce"))
        let expected = AMQPError(.unknownFrameType(4), at: 0)
        for _ in 0..<2 {
            do {
                let frame = try decoder.next()
                Issue.record("decoded \(String(describing: frame)) after an error")
            } catch {
                #expect(error == expected)
            }
        }
    }
}
