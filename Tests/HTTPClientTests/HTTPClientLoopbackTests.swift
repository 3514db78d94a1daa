import Bytes
import Foundation
import HTTPClient
import Synchronization
import Testing
import TestSupport
import Transport

/// A loopback server answering each request it reads with the next of `answers`, as raw bytes,
/// so the client meets exactly the bytes a test wants. Counts the connections it accepts.
final class ScriptedServer: Sendable {
    /// What to do with one request.
    enum Answer: Sendable {
        /// Send these bytes and keep reading.
        case send(String)
        /// Send these bytes, then close the connection.
        case sendAndClose(String)
        /// Close without answering.
        case close
        /// Never answer.
        case stall
    }

    /// The answers still to give and the requests read, shared by every connection's script.
    private final class Exchange: Sendable {
        let requests = Mutex<[String]>([])
        let answers: Mutex<ArraySlice<Answer>>

        init(_ answers: [Answer]) {
            self.answers = Mutex(answers[...])
        }
    }

    private let peer: ScriptedPeer
    private let exchange: Exchange

    private init(peer: ScriptedPeer, exchange: Exchange) {
        self.peer = peer
        self.exchange = exchange
    }

    var port: Int { peer.port }
    var connections: Int { peer.connections }
    var received: [String] { exchange.requests.withLock { $0 } }

    /// Starts serving `answers` in order across connections.
    static func start(_ answers: [Answer]) async throws -> ScriptedServer {
        let exchange = Exchange(answers)
        return ScriptedServer(peer: try await ScriptedPeer.start { connection, _ in await serve(connection, exchange) }, exchange: exchange)
    }

    private static func serve(_ connection: TCPConnection, _ exchange: Exchange) async {
        var pending = ""
        while let bytes = try? await connection.read(timeout: testPatience) {
            pending += String(decoding: bytes.readableBytesView, as: UTF8.self)
            // The client's requests carry Content-Length; a whole one is its head plus that.
            while let headEnd = pending.range(of: "\r\n\r\n") {
                let head = pending[..<headEnd.upperBound]
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let total = pending.distance(from: pending.startIndex, to: headEnd.upperBound) + length
                guard pending.utf8.count >= total else { break }
                exchange.requests.withLock { $0.append(String(pending.prefix(total))) }
                pending = String(pending.dropFirst(total))
                switch exchange.answers.withLock({ $0.popFirst() }) ?? .close {
                case .send(let text):
                    try? await connection.write(ByteBuffer(string: text))
                case .sendAndClose(let text):
                    try? await connection.write(ByteBuffer(string: text))
                    return
                case .close:
                    return
                case .stall:
                    continue
                }
            }
        }
    }

    func close() {
        peer.stop()
    }
}

@Suite struct HTTPClientLoopbackTests {
    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

    @Test func keptAliveConnectionsAreReused() async throws {
        let server = try await ScriptedServer.start([.send(Self.ok), .send(Self.ok), .send(Self.ok)])
        defer { server.close() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        for _ in 0..<3 {
            let response = try await client.execute(HTTPClientRequest(method: "POST", target: "/v1/traces", body: ByteBuffer(string: "{}")))
            #expect(response.status == 200)
            #expect(String(decoding: response.body.readableBytesView, as: UTF8.self) == "{}")
        }
        #expect(server.connections == 1)
        #expect(server.received.count == 3)
        #expect(server.received.first?.hasPrefix("POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n") == true)
        client.closeIdleConnections()
    }

    @Test func chunkedResponsesArriveWhole() async throws {
        let chunked = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbus\r\n1\r\ny\r\n0\r\n\r\n"
        let server = try await ScriptedServer.start([.send(chunked)])
        defer { server.close() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        let response = try await client.execute(HTTPClientRequest(method: "POST", target: "/"))
        #expect(response.status == 503)
        #expect(response.headers.first("retry-after") == "2")
        #expect(String(decoding: response.body.readableBytesView, as: UTF8.self) == "busy")
        #expect(client.idleConnections == 1)
    }

    @Test func connectionCloseIsNotReused() async throws {
        let closing = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        let server = try await ScriptedServer.start([.sendAndClose(closing), .send(Self.ok)])
        defer { server.close() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        _ = try await client.execute(HTTPClientRequest(method: "POST", target: "/"))
        #expect(client.idleConnections == 0)
        _ = try await client.execute(HTTPClientRequest(method: "POST", target: "/"))
        #expect(server.connections == 2)
    }

    @Test func aReusedConnectionTheServerClosedIsReplacedOnce() async throws {
        // The second request finds its kept-alive connection closed without an answer, as when a
        // server drops an idle connection; the client sends it again on a new one.
        let server = try await ScriptedServer.start([.send(Self.ok), .close, .send(Self.ok)])
        defer { server.close() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        _ = try await client.execute(HTTPClientRequest(method: "POST", target: "/"))
        let response = try await client.execute(HTTPClientRequest(method: "POST", target: "/"))
        #expect(response.status == 200)
        #expect(server.connections == 2)
        #expect(server.received.count == 3)
    }

    @Test func aNewConnectionClosedWithoutAnswerIsAnError() async throws {
        let server = try await ScriptedServer.start([.close])
        defer { server.close() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        await #expect { try await client.execute(HTTPClientRequest(method: "POST", target: "/")) } throws: { error in
            guard case .connectionLost = error as? HTTPClientError else { return false }
            return true
        }
        #expect(server.connections == 1)
    }

    @Test func aSilentServerTimesOutTheRead() async throws {
        let server = try await ScriptedServer.start([.stall, .stall])
        defer { server.close() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port, configuration: HTTPClientConfiguration(readTimeout: .milliseconds(200)))
        let started = ContinuousClock.now
        await #expect(throws: HTTPClientError.timedOut(.read, address: "127.0.0.1:\(server.port)")) {
            try await client.execute(HTTPClientRequest(method: "POST", target: "/"))
        }
        #expect(ContinuousClock.now - started < .seconds(5), "the read timeout, not the request timeout, ended the wait")
        // A second long enough for the connect and the write of a busy parallel run (with
        // 200 ms, the write itself timed out now and then), and still far below the default.
        let deadline = HTTPClient(host: "127.0.0.1", port: server.port)
        await #expect(throws: HTTPClientError.timedOut(.read, address: "127.0.0.1:\(server.port)")) {
            try await deadline.execute(HTTPClientRequest(method: "POST", target: "/"), deadline: .now + .seconds(1))
        }
    }

    @Test func aResponseCutShortIsALostConnection() async throws {
        let server = try await ScriptedServer.start([.sendAndClose("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")])
        defer { server.close() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        await #expect(throws: HTTPClientError.connectionLost(address: "127.0.0.1:\(server.port)", nil)) {
            try await client.execute(HTTPClientRequest(method: "POST", target: "/"))
        }
        #expect(server.connections == 1, "a response had begun: the request is not sent again")
    }

    @Test func aMalformedResponseIsTyped() async throws {
        let server = try await ScriptedServer.start([.send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")])
        defer { server.close() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        await #expect { try await client.execute(HTTPClientRequest(method: "POST", target: "/")) } throws: { error in
            guard case .malformedResponse(_, let parserError) = error as? HTTPClientError else { return false }
            return parserError.reason == .duplicateContentLength
        }
        #expect(client.idleConnections == 0)
    }

    @Test func nothingListeningIsAConnectFailure() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let port = listener.port
        listener.close()
        let client = HTTPClient(host: "127.0.0.1", port: port)
        await #expect { try await client.execute(HTTPClientRequest(method: "POST", target: "/")) } throws: { error in
            guard case .connectFailed(_, let transport) = error as? HTTPClientError else { return false }
            return transport.code == .connectionRefused
        }
    }
}
