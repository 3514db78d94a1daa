import Bytes
@testable import HTTPServer
import Testing
import TestSupport

/// The WebSocket connection logic driven by hand, without sockets.
@Suite struct WebSocketConnectionStateMachineTests {
    /// What the machine asked for, in comparable form; written frames are decoded back.
    enum Step: Equatable {
        case read, close
        case deliver(WebSocketMessage)
        case write(WebSocketOpcode, [UInt8])
        case writeAndClose(WebSocketOpcode, [UInt8])
    }

    /// Decodes a frame the server wrote: unmasked, as a client reads it.
    static func serverFrame(_ bytes: ByteBuffer) -> (WebSocketOpcode, [UInt8]) {
        let view = Array(bytes.readableBytesView)
        let opcode = WebSocketOpcode(rawValue: view[0] & 0x0F)!
        #expect(view[0] & 0x80 != 0 && view[1] & 0x80 == 0, "a whole, unmasked frame")
        let headerLength = view[1] & 0x7F == 126 ? 4 : 2
        return (opcode, Array(view[headerLength...]))
    }

    /// Feeds `chunks` one by one, the peer closing its side after the last unless `thenEOF` is
    /// false, and records the actions until the machine closes or wants bytes it will not get.
    static func run(_ chunks: [ArraySlice<UInt8>], machine: inout WebSocketConnectionStateMachine, thenEOF: Bool = true) -> [Step] {
        var steps: [Step] = []
        var pending = chunks[...]
        while true {
            switch machine.nextAction() {
            case .read:
                if steps.last != .read { steps.append(.read) }
                if let chunk = pending.popFirst() {
                    machine.received(ByteBuffer(bytes: chunk))
                } else if thenEOF {
                    machine.receivedEndOfStream()
                } else {
                    return steps
                }
            case .deliver(let message):
                steps.append(.deliver(message))
            case .write(let bytes):
                let (opcode, payload) = serverFrame(bytes)
                steps.append(.write(opcode, payload))
            case .writeAndClose(let bytes):
                let (opcode, payload) = serverFrame(bytes)
                steps.append(.writeAndClose(opcode, payload))
            case .close:
                steps.append(.close)
                return steps
            }
        }
    }

    /// Runs `bytes` whole, byte by byte and split at every position; every feeding must take the
    /// same non-read steps. Returns the steps of the whole feeding.
    static func runEveryWay(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> [Step] {
        var machine = WebSocketConnectionStateMachine()
        let whole = run([bytes[...]], machine: &machine)
        let significant = whole.filter { $0 != .read }
        var bytewiseMachine = WebSocketConnectionStateMachine()
        let bytewise = run(bytes.indices.map { bytes[$0...$0] }, machine: &bytewiseMachine)
        #expect(bytewise.filter { $0 != .read } == significant, "byte by byte", sourceLocation: sourceLocation)
        for cut in 1..<max(bytes.count, 1) {
            var splitMachine = WebSocketConnectionStateMachine()
            let split = run([bytes[..<cut], bytes[cut...]], machine: &splitMachine)
            #expect(split.filter { $0 != .read } == significant, "split at \(cut)", sourceLocation: sourceLocation)
        }
        return whole
    }

    @Test func messagesAreDeliveredAndPingsAnswered() {
        let bytes = clientFrame(.text, "Hel", fin: false) + clientFrame(.ping, "are you there") + clientFrame(.continuation, "lo")
            + clientFrame(.binary, [1, 2, 3]) + clientFrame(.pong, "unsolicited")
        let steps = Self.runEveryWay(bytes)
        #expect(steps == [
            .read, .write(.pong, Array("are you there".utf8)), .deliver(.text("Hello")), .deliver(.binary(ByteBuffer(bytes: [1, 2, 3]))),
            .read, .close,
        ])
    }

    @Test func thePeersCloseIsEchoedThenTheServerCloses() {
        var machine = WebSocketConnectionStateMachine()
        let bytes = clientFrame(.close, [0x03, 0xE9] + Array("bye".utf8)) + clientFrame(.text, "too late")
        #expect(Self.run([bytes[...]], machine: &machine) == [.read, .writeAndClose(.close, [0x03, 0xE9]), .close])
        #expect(machine.closeStatus == WebSocketCloseStatus(code: .goingAway, reason: "bye"))
        #expect(machine.nextAction() == .close)
        #expect(Self.runEveryWay(bytes).filter { $0 != .read } == [.writeAndClose(.close, [0x03, 0xE9]), .close])
    }

    @Test func anEmptyCloseIsEchoedEmptyAndReportedAs1005() {
        var machine = WebSocketConnectionStateMachine()
        #expect(Self.run([clientFrame(.close, [])[...]], machine: &machine) == [.read, .writeAndClose(.close, []), .close])
        #expect(machine.closeStatus?.code == .noStatusReceived)
    }

    @Test(arguments: [
        (hex("81 05 48 65 6c 6c 6f"), WebSocketCloseCode.protocolError, "client frame not masked"),
        (clientFrame(.text, [0x41, 0xFF]), .invalidPayloadData, "text not UTF-8"),
        (clientFrame(.binary, [UInt8](repeating: 0, count: 2000)), .messageTooBig, "frame of 2000 bytes over 1024"),
        (clientFrame(.close, [0x03, 0xED]), .protocolError, "close code 1005 not allowed"),
        ([0x89, 0xFE, 0x00, 0x7E], .protocolError, "control frame over 125 bytes"),
    ])
    func violationsAreAnsweredWithTheirCloseCode(bytes: [UInt8], code: WebSocketCloseCode, reason: String) {
        var machine = WebSocketConnectionStateMachine(limits: WebSocketLimits(maxFrameSize: 1024, maxMessageSize: 1024))
        let steps = Self.run([bytes[...]], machine: &machine)
        let expectedPayload = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)] + Array(reason.utf8)
        #expect(steps == [.read, .writeAndClose(.close, expectedPayload), .close])
        #expect(machine.closeStatus == WebSocketCloseStatus(code: code, reason: reason))
    }

    @Test func aServerInitiatedCloseWaitsForThePeersClose() throws {
        var machine = WebSocketConnectionStateMachine()
        #expect(machine.send(.text("update")) != nil)
        let started = machine.close(WebSocketCloseStatus(code: .goingAway, reason: "restart"))
        let close = try #require(started)
        let (opcode, payload) = Self.serverFrame(close)
        #expect(opcode == .close && payload == [0x03, 0xE9] + Array("restart".utf8))
        #expect(machine.isClosing)
        let again = machine.close(WebSocketCloseStatus(code: .normalClosure))
        #expect(again == nil)
        #expect(machine.send(.text("no more")) == nil)
        #expect(machine.ping() == nil)
        // Data and pings that cross our close are dropped; the peer's close ends it without an echo.
        let bytes = clientFrame(.text, "crossing") + clientFrame(.ping, "p") + clientFrame(.close, [0x03, 0xE9])
        #expect(Self.run([bytes[...]], machine: &machine, thenEOF: false) == [.read, .close])
        #expect(machine.closeStatus?.code == .goingAway)
    }

    @Test func aViolationWhileClosingClosesWithoutAnotherCloseFrame() {
        var machine = WebSocketConnectionStateMachine()
        _ = machine.close(WebSocketCloseStatus(code: .normalClosure))
        #expect(Self.run([clientFrame(.continuation, "x")[...]], machine: &machine) == [.read, .close])
        #expect(machine.closeStatus?.code == .protocolError)
    }

    @Test func theStreamEndingWithoutACloseIs1006() {
        var machine = WebSocketConnectionStateMachine()
        let bytes = clientFrame(.text, "last") + clientFrame(.text, "cut").dropLast()
        #expect(Self.run([bytes[...]], machine: &machine) == [.read, .deliver(.text("last")), .read, .close])
        #expect(machine.closeStatus?.code == .abnormalClosure)
    }

    @Test func serverFramesAreUnmasked() throws {
        let machine = WebSocketConnectionStateMachine()
        let text = try #require(machine.send(.text("Hello")))
        #expect(Array(text.readableBytesView) == hex("81 05 48 65 6c 6c 6f"))
        let ping = try #require(machine.ping(ByteBuffer(string: "Hello")))
        #expect(Array(ping.readableBytesView) == hex("89 05 48 65 6c 6c 6f"))
        let binary = try #require(machine.send(.binary(ByteBuffer(bytes: [UInt8](repeating: 1, count: 256)))))
        #expect(Array(binary.readableBytesView.prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
    }
}
