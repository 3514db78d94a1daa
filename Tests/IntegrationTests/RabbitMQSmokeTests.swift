import Bytes
import Testing
import TestSupport

@Suite(.requires(.rabbitmq)) struct RabbitMQSmokeTests {
    /// The AMQP 0-9-1 protocol header a client opens with.
    private static let protocolHeader: [UInt8] = Array("AMQP".utf8) + [0, 0, 9, 1]

    @Test func protocolHeaderIsAnsweredWithConnectionStart() async throws {
        let connection = try await TestServer.rabbitmq.connect()
        defer { connection.close() }
        try await connection.write(ByteBuffer(bytes: Self.protocolHeader), timeout: testPatience)

        // Frame header: type octet, channel short, payload size long.
        var header = try await connection.read(exactly: 7)
        #expect(header.readInteger(as: UInt8.self) == 1, "frame type is method")
        #expect(header.readInteger(as: UInt16.self) == 0, "channel is 0")
        let sizeField = header.readInteger(as: UInt32.self)
        let size = try #require(sizeField)
        #expect((12...65536).contains(size), "connection.start payload size \(size)")

        var payload = try await connection.read(exactly: Int(size) + 1)
        #expect(payload.getInteger(at: payload.writerIndex - 1, as: UInt8.self) == 0xCE, "frame-end octet")
        #expect(payload.readInteger(as: UInt16.self) == 10, "class connection")
        #expect(payload.readInteger(as: UInt16.self) == 10, "method start")
        #expect(payload.readInteger(as: UInt8.self) == 0, "version-major")
        #expect(payload.readInteger(as: UInt8.self) == 9, "version-minor")

        // server-properties (table), mechanisms and locales (long strings) fill the rest exactly.
        let properties = payload.readLongBytes()
        let mechanisms = payload.readLongBytes()
        let locales = payload.readLongBytes()
        #expect(try #require(properties).readableBytes > 0)
        #expect(try #require(mechanisms).description.split(separator: " ").contains("PLAIN"))
        #expect(try #require(locales).description.split(separator: " ").contains("en_US"))
        #expect(payload.readableBytes == 1, "only the frame-end octet remains")
    }
}

extension ByteBuffer {
    /// Reads a 32-bit length and that many bytes: AMQP's long string and field-table framing.
    fileprivate mutating func readLongBytes() -> ByteBuffer? {
        let start = readerIndex
        guard let length = readInteger(as: UInt32.self), let bytes = readSlice(length: Int(length)) else {
            moveReaderIndex(to: start)
            return nil
        }
        return bytes
    }
}
