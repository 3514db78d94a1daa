@testable import AMQP091
import AMQP091Reflection
import Bytes
import Testing
import TestSupport

/// `ReflectedFrame`: what the typed codec refuses (short strings that are not UTF-8) is kept
/// byte for byte, and everything else decodes exactly as the typed codec decodes it.
@Suite struct ReflectedFrameTests {
    /// basic.get (channel 1) whose queue name is the bytes ff fe.
    static let binaryQueueName = hex("01 0001 0000000a 003c 0046 0000 02fffe 00 ce")

    func reflected(_ bytes: [UInt8]) throws -> [ReflectedFrame] {
        var decoder = FrameDecoder()
        decoder.append(contentsOf: bytes)
        var frames: [ReflectedFrame] = []
        while let frame = try decoder.nextReflected() { frames.append(frame) }
        return frames
    }

    @Test func aShortStringThatIsNotUTF8IsKeptAndEncodedBackAsItCame() throws {
        let frames = try reflected(Self.binaryQueueName)
        guard frames.count == 1, case .method(let channel, let descriptor, let values) = frames[0] else {
            Issue.record("expected one method frame, got \(frames)")
            return
        }
        #expect(channel == 1 && descriptor.className == "basic" && descriptor.methodName == "get")
        #expect(values == [.short(0), .binaryShortstr(ByteBuffer(bytes: [0xff, 0xfe])), .bit(false)])
        var encoded = ByteBuffer()
        try FrameEncoder().encode(frames[0], into: &encoded)
        #expect(Array(encoded.readableBytesView) == Self.binaryQueueName)
        // The client's decoder still refuses it.
        var strict = FrameDecoder()
        strict.append(contentsOf: Self.binaryQueueName)
        #expect(throws: AMQPError(.invalidUTF8("queue"), at: 14)) { try strict.next() }
    }

    @Test func bitsArePackedTheWayTheTypedCodecPacksThem() throws {
        let consume = AMQPMethod.basicConsume(BasicConsume(queue: "q", consumerTag: "t", noLocal: true, noAck: false, exclusive: true, noWait: true))
        var typed = ByteBuffer()
        try FrameEncoder().encode(.method(channel: 3, consume), into: &typed)
        var generic = ByteBuffer()
        try FrameEncoder().encode(ReflectedFrame.method(channel: 3, consume.descriptor, consume.argumentValues), into: &generic)
        #expect(generic == typed)
        var payload = typed.getSlice(at: 7 + 4, length: typed.readableBytes - 8 - 4)!
        #expect(try ArgumentValue.decode(consume.descriptor.arguments, from: &payload) == consume.argumentValues)
    }
}
