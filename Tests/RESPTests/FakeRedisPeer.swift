import Bytes
import RESP
import Synchronization
import TestSupport
import Transport

/// A scripted stand-in for a Redis server on a loopback port, for replies a real server never
/// sends: malformed, oversized, unsolicited, trickled or cut off. Each accepted connection runs
/// the script with its number (0 for the first), so a test can make only the first misbehave.
final class FakeRedisPeer: Sendable {
    typealias Script = @Sendable (_ session: Session, _ connectionNumber: Int) async throws -> Void

    /// One accepted client connection, seen as a stream of commands.
    final class Session: Sendable {
        let connection: TCPConnection
        /// Commands are decoded with the client's own decoder; only this session's task uses it,
        /// the mutex just makes that provable to the compiler.
        private let decoder = Mutex(RESPDecoder())

        init(_ connection: TCPConnection) {
            self.connection = connection
        }

        /// The next command's arguments as strings, or nil when the client closed the connection.
        func readCommand() async throws -> [String]? {
            while true {
                let command = try decoder.withLock { decoder throws in try decoder.next() }
                if case .array(let arguments) = command { return arguments.map { $0.string ?? "" } }
                guard let bytes = try await connection.read(timeout: testPatience) else { return nil }
                decoder.withLock { $0.feed(bytes) }
            }
        }

        func send(_ text: String) async throws {
            try await connection.write(ByteBuffer(string: text), timeout: testPatience)
        }

        /// Sends `text` one byte per write, pausing between writes, so the client reads it in
        /// as many pieces.
        func trickle(_ text: String, pause: Duration) async throws {
            try await connection.trickle(text.utf8, every: pause)
        }

        /// Answers every command with `+PONG` until the client goes away: a well-behaved server.
        func answerNormally() async throws {
            while try await readCommand() != nil { try await send("+PONG\r\n") }
        }
    }

    private let peer: ScriptedPeer

    private init(peer: ScriptedPeer) {
        self.peer = peer
    }

    var port: Int { peer.port }

    /// Connections accepted so far.
    var connections: Int { peer.connections }

    /// What the peer saw, for failure messages.
    var summary: String { peer.summary }

    /// Listens on a free loopback port and runs `script` for every connection until `stop()`.
    static func start(_ script: @escaping Script) async throws -> FakeRedisPeer {
        FakeRedisPeer(peer: try await ScriptedPeer.start { connection, number in try await script(Session(connection), number) })
    }

    /// A client configuration pointing at this peer, with a command timeout far beyond what any
    /// test waits, so a failure that arrives is the one under test and not a timeout.
    var configuration: RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: testPatience, commandTimeout: testPatience * 2)
    }

    func stop() {
        peer.stop()
    }
}
