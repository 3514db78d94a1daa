import AMQP091
import Bytes
import Testing
import TestSupport

/// Hand-assembled byte vectors (grouped by field) decoded in every feeding and re-encoded.
@Suite struct FrameVectorTests {
    /// Decodes `bytes` to exactly `frames` in every feeding, and encodes `frames` back to `bytes`.
    func check(_ bytes: [UInt8], _ frames: [AMQPFrame], sourceLocation: SourceLocation = #_sourceLocation) throws {
        expectDecoding(bytes, .frames(frames, incomplete: false), sourceLocation: sourceLocation)
        #expect(try encoded(frames) == bytes, sourceLocation: sourceLocation)
    }

    @Test func heartbeat() throws {
        try check(hex("08 0000 00000000 ce"), [.heartbeat])
    }

    @Test func tune() throws {
        try check(
            hex("01 0000 0000000c 000a 001e 07ff 00020000 003c ce"),
            [.method(channel: 0, .connectionTune(ConnectionTune(channelMax: 2047, frameMax: 131_072, heartbeat: 60)))])
    }

    @Test func publishWithHeaderAndBody() throws {
        let properties = BasicProperties(
            contentType: "application/json", deliveryMode: 2, messageID: "m-1", timestamp: 1_700_000_000)
        try check(
            hex(
                """
                01 0001 00000012 003c 0028 0000 066f7264657273 036e6577 01 ce
                02 0001 0000002c 003c 0000 0000000000000005 90c0 106170706c69636174696f6e2f6a736f6e 02 036d2d31 000000006553f100 ce
                03 0001 00000005 68656c6c6f ce
                """),
            [
                .method(channel: 1, .basicPublish(BasicPublish(exchange: "orders", routingKey: "new", mandatory: true))),
                .header(channel: 1, ContentHeader(bodySize: 5, properties: properties)),
                .body(channel: 1, "hello"),
            ])
    }

    @Test func contentSplitIntoBodyFramesByFrameMax() throws {
        // frame_max 32 leaves 24 payload bytes per body frame: 60 bytes go out as 24 + 24 + 12.
        let body = ByteBuffer(string: String(repeating: "0123456789", count: 6))
        var buffer = ByteBuffer()
        try FrameEncoder(maximumFrameSize: 32).encodeContent(
            channel: 1, method: .basicPublish(BasicPublish(routingKey: "q")), properties: BasicProperties(),
            body: body, into: &buffer)
        let frames: [AMQPFrame] = [
            .method(channel: 1, .basicPublish(BasicPublish(routingKey: "q"))),
            .header(channel: 1, ContentHeader(bodySize: 60)),
            .body(channel: 1, body.getSlice(at: 0, length: 24)!),
            .body(channel: 1, body.getSlice(at: 24, length: 24)!),
            .body(channel: 1, body.getSlice(at: 48, length: 12)!),
        ]
        expectDecoding(Array(buffer.readableBytesView), .frames(frames, incomplete: false), maximumFrameSize: 32)
    }

    @Test func encoderRefusesFramesOverFrameMax() {
        var buffer = ByteBuffer()
        #expect(throws: AMQPError(.frameTooLarge(size: 18, limit: 12), at: 0)) {
            try FrameEncoder(maximumFrameSize: 12).encode(.method(channel: 1, .basicPublish(BasicPublish(routingKey: "q"))), into: &buffer)
        }
        #expect(buffer.readableBytes == 0)
    }

    @Test func deliver() throws {
        try check(
            hex("01 0002 0000001d 003c 003c 0463746167 000000000000002a 01 066f7264657273 036e6577 ce"),
            [
                .method(
                    channel: 2,
                    .basicDeliver(
                        BasicDeliver(consumerTag: "ctag", deliveryTag: 42, redelivered: true, exchange: "orders", routingKey: "new")))
            ])
    }

    @Test func ackNackReject() throws {
        try check(
            hex(
                """
                01 0001 0000000d 003c 0050 000000000000002a 01 ce
                01 0001 0000000d 003c 0078 0000000000000007 02 ce
                01 0001 0000000d 003c 005a 0000000000000009 00 ce
                """),
            [
                .method(channel: 1, .basicAck(BasicAck(deliveryTag: 42, multiple: true))),
                .method(channel: 1, .basicNack(BasicNack(deliveryTag: 7, multiple: false, requeue: true))),
                .method(channel: 1, .basicReject(BasicReject(deliveryTag: 9, requeue: false))),
            ])
    }

    @Test func basicReturn() throws {
        try check(
            hex("01 0001 00000018 003c 0032 0138 084e4f5f524f555445 066f7264657273 0178 ce"),
            [.method(channel: 1, .basicReturn(BasicReturn(replyCode: 312, replyText: "NO_ROUTE", exchange: "orders", routingKey: "x")))])
    }

    @Test func channelClose() throws {
        try check(
            hex("01 0003 00000022 0014 0028 0196 17505245434f4e444954494f4e5f4641494c4544202d2078 0032 000a ce"),
            [
                .method(
                    channel: 3,
                    .channelClose(ChannelClose(replyCode: 406, replyText: "PRECONDITION_FAILED - x", classID: 50, methodID: 10)))
            ])
    }

    @Test func connectionClose() throws {
        try check(
            hex("01 0000 0000001c 000a 0032 0140 11434f4e4e454354494f4e5f464f52434544 0000 0000 ce"),
            [.method(channel: 0, .connectionClose(ConnectionClose(replyCode: 320, replyText: "CONNECTION_FORCED")))])
    }

    @Test func blocked() throws {
        try check(
            hex("01 0000 00000012 000a 003c 0d6c6f77206f6e206d656d6f7279 ce"),
            [.method(channel: 0, .connectionBlocked(ConnectionBlocked(reason: "low on memory")))])
    }

    @Test func tableWithEveryType() throws {
        let arguments: FieldTable = [
            "t": .bool(true), "b": .int8(-2), "B": .uint8(254), "s": .int16(-3), "u": .uint16(65533),
            "I": .int32(-4), "i": .uint32(4_294_967_292), "l": .int64(-5), "f": .float(1.5), "d": .double(-2.25),
            "D": .decimal(scale: 2, value: -12345), "S": "héllo", "x": .bytes(ByteBuffer(bytes: [0x00, 0xff])),
            "A": .array([.int32(-1), "a"]), "T": .timestamp(1_700_000_000), "F": .table(["k": "v"]), "V": .void,
        ]
        try check(
            hex(
                """
                01 0001 0000009b 0032 000a 0000 0171 02 0000008e
                0174 74 01   0162 62 fe   0142 42 fe   0173 73 fffd   0175 75 fffd
                0149 49 fffffffc   0169 69 fffffffc   016c 6c fffffffffffffffb   0166 66 3fc00000
                0164 64 c002000000000000   0144 44 02 ffffcfc7   0153 53 00000006 68c3a96c6c6f
                0178 78 00000002 00ff   0141 41 0000000b 49 ffffffff 53 00000001 61
                0154 54 000000006553f100   0146 46 00000008 016b 53 00000001 76   0156 56
                ce
                """),
            [.method(channel: 1, .queueDeclare(QueueDeclare(queue: "q", durable: true, arguments: arguments)))])
    }

    @Test func headerWithContinuationFlagWord() {
        // content-type present, continuation bit set, then an all-zero second flag word.
        let bytes = hex("02 0001 00000012 003c 0000 0000000000000000 8001 0000 0174 ce")
        expectDecoding(bytes, .frames([.header(channel: 1, ContentHeader(bodySize: 0, properties: BasicProperties(contentType: "t")))], incomplete: false))
    }

    @Test func partialFrameIsIncomplete() {
        expectDecoding(hex("01 0000 0000000c 000a 001e 07ff"), .frames([], incomplete: true))
    }
}
