import Bytes
import TestSupport
import Transport

/// Limit for every network wait in the smoke tests, so a silent server fails a test instead of
/// hanging it.
let smokeTimeout: Duration = .seconds(10)

extension TestServer {
    /// Opens a TCP connection to the server named by the environment.
    func connect() async throws -> TCPConnection {
        let endpoint = try endpoint()
        return try await TCPConnection.connect(host: endpoint.host, port: endpoint.port, timeout: smokeTimeout)
    }
}

extension TCPConnection {
    /// Reads until exactly `count` bytes have arrived; fails if the peer closes first.
    func read(exactly count: Int) async throws -> ByteBuffer {
        var buffer = ByteBuffer(capacity: count)
        while buffer.readableBytes < count {
            let read = try await read(into: &buffer, maxBytes: count - buffer.readableBytes, timeout: smokeTimeout)
            if read == 0 { throw PeerClosed(expected: count, received: buffer.readableBytes) }
        }
        return buffer
    }
}

/// The server closed the connection before sending the expected number of bytes.
struct PeerClosed: Error, CustomStringConvertible {
    var expected: Int
    var received: Int

    var description: String { "connection closed after \(received) of \(expected) expected bytes" }
}
