import Bytes
import Glibc
import Transport

/// A listener that echoes every connection back until the peer closes it.
final class EchoServer: Sendable {
    let listener: TCPListener
    private let acceptor: Task<Void, Never>

    var port: Int { listener.port }

    init(host: String = "127.0.0.1", group: EventLoopGroup = .shared) async throws {
        let listener = try await TCPListener.bind(host: host, port: 0, on: group)
        self.listener = listener
        acceptor = Task {
            await withTaskGroup(of: Void.self) { connections in
                while let connection = try? await listener.accept() {
                    connections.addTask {
                        var buffer = ByteBuffer(capacity: 65536)
                        // Bounded, so a client that neither sends nor closes cannot keep a task forever.
                        while let count = try? await connection.read(into: &buffer, timeout: .seconds(60)), count > 0 {
                            guard (try? await connection.write(buffer, timeout: .seconds(60))) != nil else { break }
                            buffer.clear()
                        }
                        connection.close()
                    }
                }
            }
        }
    }

    /// Stops accepting and ends the echo of every connection still open: reads and writes end
    /// promptly on cancellation, so this does not wait for clients to close.
    func stop() async {
        listener.close()
        acceptor.cancel()
        await acceptor.value
    }
}

/// A pattern that makes misordered or lost bytes visible.
func pattern(count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 251 &+ Int(seed)) }
}

/// Monotonic seconds, for checking that a wait ended promptly.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A listener on an ephemeral loopback port, a client connected to it, and the server's end of
/// that connection.
func loopbackPair() async throws -> (listener: TCPListener, client: TCPConnection, server: TCPConnection) {
    let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
    let client = try await TCPConnection.connect(host: "127.0.0.1", port: listener.port)
    let server = try await listener.accept(timeout: .seconds(5))
    return (listener, client, server)
}

/// Runs `body` with a `loopbackPair` and closes its three ends afterwards.
func withLoopbackPair<Result>(_ body: (TCPListener, TCPConnection, TCPConnection) async throws -> Result) async throws -> Result {
    let (listener, client, server) = try await loopbackPair()
    defer {
        client.close()
        server.close()
        listener.close()
    }
    return try await body(listener, client, server)
}
