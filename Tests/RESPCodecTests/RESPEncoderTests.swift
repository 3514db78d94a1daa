import Bytes
import RESP
import Testing

@Suite struct RESPEncoderTests {
    private func encoded(_ arguments: [any RESPArgument]) throws -> String {
        var buffer = ByteBuffer()
        try RESPEncoder.encodeCommand(arguments, into: &buffer)
        return String(describing: buffer)
    }

    @Test func commandsAreArraysOfBulkStrings() throws {
        #expect(try encoded(["SET", "key", "value"]) == "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
        #expect(try encoded(["PING"]) == "*1\r\n$4\r\nPING\r\n")
        #expect(try encoded(["EXPIRE", "k", 120]) == "*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$3\r\n120\r\n")
        #expect(try encoded(["SET", "k", ""]) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n")
    }

    @Test func argumentsAreBinarySafe() throws {
        var buffer = ByteBuffer()
        try RESPEncoder.encodeCommand([ByteBuffer(string: "SET"), ByteBuffer(bytes: [0, 13, 10, 32, 255])], into: &buffer)
        #expect(buffer.readableBytesView.elementsEqual(Array("*2\r\n$3\r\nSET\r\n$5\r\n".utf8) + [0, 13, 10, 32, 255, 13, 10]))
    }

    @Test func longArgumentsAndManyArguments() throws {
        let long = String(repeating: "x", count: 100_000)
        let arguments = ["RPUSH", long] + (0..<12).map(String.init)
        var buffer = ByteBuffer()
        try RESPEncoder.encodeCommand(arguments, into: &buffer)
        let expected = arguments.map(bulk)
        expectDecoding(Array(buffer.readableBytesView.prefix(40)), [], end: .incomplete)
        var decoder = RESPDecoder()
        decoder.feed(buffer)
        #expect(try decoder.next() == .array(expected))
    }

    @Test func encodedCommandsRoundTripThroughTheDecoder() throws {
        var buffer = ByteBuffer()
        try RESPEncoder.encodeCommand(["HSET", "h", "f\r\n", "\u{0}"], into: &buffer)
        expectDecoding(Array(buffer.readableBytesView), [.array([bulk("HSET"), bulk("h"), bulk("f\r\n"), bulk("\u{0}")])])
    }

    @Test func emptyCommandIsRefused() {
        var buffer = ByteBuffer()
        #expect(throws: RESPError.emptyCommand) { try RESPEncoder.encodeCommand([String](), into: &buffer) }
        #expect(throws: RESPError.emptyCommand) { try RESPEncoder.encodeCommand([any RESPArgument](), into: &buffer) }
        #expect(buffer.readableBytes == 0)
    }
}
