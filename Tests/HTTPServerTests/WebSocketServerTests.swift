import Bytes
import Synchronization
import TestSupport
import Testing
import Transport
@testable import HTTPServer

/// A server on a loopback port with WebSocket routes of the test's own.
private final class WebSocketServer: Sendable {
    let server: HTTPServer
    private let runner: Task<Void, Never>

    var port: Int { server.port }

    init(_ routes: (inout HTTPRouter) -> Void) async throws {
        var router = HTTPRouter()
        routes(&router)
        server = try await HTTPServer.bind(configuration: HTTPServer.Configuration(host: "127.0.0.1", port: 0), router: router)
        runner = Task { [server] in await server.run() }
    }

    func stop(gracePeriod: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await within(gracePeriod + .seconds(10), "the server to stop") { [server, runner] () async -> Void in
                await server.shutdown(gracePeriod: gracePeriod)
                await runner.value
            }
        } catch {
            Issue.record(error, sourceLocation: sourceLocation)
        }
    }
}

/// What a route's handler saw, for the test to check once the connection is over.
private final class Seen: Sendable {
    let statuses = Mutex<[WebSocketCloseStatus?]>([])
    let ended = EventCount()
    let started = EventCount()

    func record(_ socket: WebSocket) {
        statuses.withLock { $0.append(socket.closeStatus) }
        ended.record()
    }

    var last: WebSocketCloseStatus? { statuses.withLock { $0.last ?? nil } }
}

/// The echo route: every message back, until the peer closes.
private func echo(_ seen: Seen) -> HTTPRouter.WebSocketHandler {
    { _, socket in
        seen.started.record()
        for await message in socket.messages { try await socket.send(message) }
        await socket.close()
        seen.record(socket)
    }
}

@Suite struct WebSocketServerTests {
    @Test func upgradesAndEchoesUntilTheClientCloses() async throws {
        let seen = Seen()
        let server = try await WebSocketServer { $0.webSocket("/echo", echo(seen)) }
        let client = try await WebSocketTestClient(port: server.port)
        let response = try await client.upgrade(path: "/echo", port: server.port)
        #expect(response.status == 101)
        #expect(response.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(response.header("Upgrade")?.lowercased() == "websocket")
        #expect(response.header("Connection")?.lowercased() == "upgrade")
        #expect(response.header("Content-Length") == nil)

        try await client.sendText("hello ✓")
        #expect(try await client.readFrame() == .init(fin: true, opcode: 0x1, payload: Array("hello ✓".utf8)))
        try await client.send(opcode: 0x2, [1, 2], fin: false)
        try await client.send(opcode: 0x9, Array("ping".utf8))
        try await client.send(opcode: 0x0, [3])
        #expect(try await client.readFrame() == .init(fin: true, opcode: 0xA, payload: Array("ping".utf8)), "a ping between fragments is answered")
        #expect(try await client.readFrame() == .init(fin: true, opcode: 0x2, payload: [1, 2, 3]))

        try await client.sendClose(1000)
        #expect(try await client.readFrame()?.closeCode == 1000, "the close is echoed")
        #expect(try await client.readFrame() == nil, "then the server closes the connection")
        try await seen.ended.reached(1)
        #expect(seen.last?.code == .normalClosure)
        await server.stop()
    }

    @Test func framesSentWithTheHandshakeAreNotLost() async throws {
        let seen = Seen()
        let server = try await WebSocketServer { $0.webSocket("/echo", echo(seen)) }
        let client = try await WebSocketTestClient(port: server.port)
        let response = try await client.upgrade(path: "/echo", port: server.port, then: WebSocketTestClient.frame(opcode: 0x1, Array("early".utf8)))
        #expect(response.status == 101)
        #expect(try await client.readFrame()?.text == "early")
        client.close()
        await server.stop()
    }

    @Test func badUpgradesAreRefused() async throws {
        var configuration = WebSocketServerConfiguration()
        configuration.originPolicy = WebSocketOriginPolicy(allowedOrigins: ["https://dash.example.com"])
        let server = try await WebSocketServer { $0.webSocket("/echo", configuration: configuration, echo(Seen())) }
        let port = server.port
        let cases: [(String, [(String, String?)], Int)] = [
            ("no Upgrade field", [("Upgrade", nil), ("Connection", nil)], 400),
            ("a key that is not 16 bytes", [("Sec-WebSocket-Key", "c2hvcnQ=")], 400),
            ("version 8", [("Sec-WebSocket-Version", "8")], 426),
            ("another site's page", [("Origin", "http://evil.example")], 403),
            ("the same origin", [("Origin", "http://127.0.0.1:\(port)")], 101),
            ("an allowed origin", [("Origin", "https://dash.example.com")], 101),
        ]
        for (what, fields, status) in cases {
            let client = try await WebSocketTestClient(port: port)
            let response = try await client.upgrade(path: "/echo", port: port, fields: fields)
            #expect(response.status == status, "\(what)")
            if status == 426 {
                #expect(response.header("Sec-WebSocket-Version") == "13")
                #expect(response.header("Upgrade") == "websocket")
                #expect(response.header("Connection")?.lowercased().contains("upgrade") == true)
            }
            if status != 101 {
                #expect(try await client.readFrame() == nil, "\(what): the connection is closed after the refusal")
            }
            client.close()
        }
        let plain = try await HTTPTestClient(port: port)
        try await plain.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await plain.response(&pending)?.status == 405)
        plain.close()
        await server.stop()
    }

    @Test func protocolViolationsCloseWithTheirCodes() async throws {
        var configuration = WebSocketServerConfiguration()
        configuration.limits = WebSocketLimits(maxFrameSize: 1024, maxMessageSize: 2048)
        let seen = Seen()
        let server = try await WebSocketServer { $0.webSocket("/echo", configuration: configuration, echo(seen)) }
        let cases: [(String, [UInt8], UInt16)] = [
            ("text that is not UTF-8", WebSocketTestClient.frame(opcode: 0x1, [0x6F, 0x6B, 0xFF]), 1007),
            ("a frame over the frame limit", WebSocketTestClient.frame(opcode: 0x2, [UInt8](repeating: 1, count: 1025)), 1009),
            ("a message over the message limit", WebSocketTestClient.frame(opcode: 0x2, [UInt8](repeating: 1, count: 1000), fin: false)
                + WebSocketTestClient.frame(opcode: 0x0, [UInt8](repeating: 1, count: 1000), fin: false)
                + WebSocketTestClient.frame(opcode: 0x0, [UInt8](repeating: 1, count: 1000)), 1009),
            ("an unmasked frame", [0x81, 0x02, 0x68, 0x69], 1002),
        ]
        for (index, (what, bytes, code)) in cases.enumerated() {
            let client = try await WebSocketTestClient(port: server.port)
            #expect(try await client.upgrade(path: "/echo", port: server.port).status == 101)
            try await client.connection.write(ByteBuffer(bytes: bytes), timeout: .seconds(5))
            #expect(try await client.readFrame()?.closeCode == code, "\(what)")
            #expect(try await client.readFrame() == nil, "\(what): then the server closes the connection")
            try await seen.ended.reached(index + 1)
            #expect(seen.last?.code?.rawValue == code, "\(what)")
            client.close()
        }
        await server.stop()
    }

    @Test func aSilentPeerIsPingedAndClosedWhenItDoesNotAnswer() async throws {
        var configuration = WebSocketServerConfiguration()
        configuration.pingInterval = .milliseconds(100)
        configuration.pongTimeout = .milliseconds(200)
        // The peer that answers has longer, so that a loaded machine cannot make it miss a pong;
        // its next ping follows when the answer was due at the latest, so within the read's 10 s.
        var patient = configuration
        patient.pongTimeout = .seconds(3)
        let seen = Seen()
        let server = try await WebSocketServer { router in
            router.webSocket("/echo", configuration: configuration, echo(seen))
            router.webSocket("/patient", configuration: patient, echo(Seen()))
        }

        // A peer that answers stays: two pings answered, then it still echoes.
        let lively = try await WebSocketTestClient(port: server.port)
        #expect(try await lively.upgrade(path: "/patient", port: server.port).status == 101)
        for _ in 0..<2 {
            let frame = try await lively.readFrame()
            #expect(frame?.opcode == 0x9)
            try await lively.send(opcode: 0xA, frame?.payload ?? [])
        }
        try await lively.sendText("still here")
        #expect(try await lively.readAnsweringPings()?.text == "still here")

        // A peer that never answers is pinged, then closed.
        let silent = try await WebSocketTestClient(port: server.port)
        #expect(try await silent.upgrade(path: "/echo", port: server.port).status == 101)
        #expect(try await silent.readFrame()?.opcode == 0x9)
        #expect(try await silent.readFrame() == nil, "closed once the pong timeout passed")
        try await seen.ended.reached(1)
        #expect(seen.last?.code == .abnormalClosure)
        #expect(seen.last?.reason.contains("ping") == true)
        lively.close()
        silent.close()
        await server.stop()
    }

    @Test func aPeerThatNeverReadsGetsCoalescedUpdatesThenIsClosed() async throws {
        var configuration = WebSocketServerConfiguration()
        configuration.writeTimeout = .milliseconds(300)
        let broadcast = WebSocketBroadcast<WebSocketPreparedMessage>()
        let sent = Mutex<[UInt64]>([])
        let peak = Mutex(0)
        let seen = Seen()
        let server = try await WebSocketServer { router in
            router.webSocket("/live", configuration: configuration) { _, socket in
                seen.started.record()
                var version: UInt64 = 0
                defer { seen.record(socket) }
                do {
                    while true {
                        let (newest, update) = try await broadcast.next(after: version)
                        try await socket.send(update)
                        version = newest
                        sent.withLock { $0.append(newest) }
                        peak.withLock { $0 = max($0, socket.outboundBytes.peak) }
                    }
                } catch {
                    peak.withLock { $0 = max($0, socket.outboundBytes.peak) }
                    throw error
                }
            }
        }
        let client = try await WebSocketTestClient(port: server.port)
        #expect(try await client.upgrade(path: "/live", port: server.port).status == 101)
        try await seen.started.reached(1)
        // Updates of 64 KiB for a peer that reads none of them, until the server closes it (for
        // at most 20 s). A fixed count was flaky: when a busy machine let the sender coalesce
        // more, the socket's buffers could take all it sent, and the sender then waited for an
        // update that never came, with no write to time out. The broadcast keeps only the newest.
        let update = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
        var published = 0
        let giveUp = ContinuousClock.now + .seconds(20)
        while seen.ended.value == 0, ContinuousClock.now < giveUp {
            broadcast.publish(WebSocketPreparedMessage(text: update))
            published += 1
            await Task.yield()
        }
        try await seen.ended.reached(1, timeout: .seconds(5))
        let versions = sent.withLock { $0 }
        #expect(versions.count < published, "sends blocked on the full socket; \(versions.count) went out")
        #expect(zip(versions, versions.dropFirst()).contains { $1 > $0 + 1 } || versions.last != UInt64(published),
                "versions were skipped: the peer got the newest, not every one")
        #expect(peak.withLock { $0 } <= update.count + WebSocketFrameEncoder.maxHeaderSize,
                "the connection never held more than the frame being written")
        #expect(seen.last?.code == .abnormalClosure)
        #expect(seen.last?.reason.contains("write timeout") == true)
        #expect(broadcast.waitingReaders == 0)
        client.close()
        await server.stop()
    }

    @Test func shutdownClosesWithGoingAway() async throws {
        let seen = Seen()
        let server = try await WebSocketServer { $0.webSocket("/echo", echo(seen)) }
        let client = try await WebSocketTestClient(port: server.port)
        #expect(try await client.upgrade(path: "/echo", port: server.port).status == 101)
        try await seen.started.reached(1)
        let stopping = Task { await server.stop() }
        let close = try await client.readFrame()
        #expect(close?.closeCode == 1001)
        #expect(close?.text.contains("shutting down") == true)
        try await client.sendClose(1001)
        #expect(try await client.readFrame() == nil)
        await stopping.value
        try await seen.ended.reached(1)
        #expect(seen.last?.code == .goingAway)
    }

    @Test func handlersEndingCloseTheConnection() async throws {
        let server = try await WebSocketServer { router in
            router.webSocket("/done") { _, _ in }
            router.webSocket("/fails") { _, _ in throw CancellationError() }
        }
        for (path, code) in [("/done", UInt16(1000)), ("/fails", 1011)] {
            let client = try await WebSocketTestClient(port: server.port)
            #expect(try await client.upgrade(path: path, port: server.port).status == 101)
            #expect(try await client.readFrame()?.closeCode == code, "\(path)")
            try await client.sendClose(code)
            #expect(try await client.readFrame() == nil, "\(path)")
            client.close()
        }
        await server.stop()
    }
}
