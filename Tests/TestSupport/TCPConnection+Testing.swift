import Bytes
import Transport

extension TCPConnection {
    /// Reads until exactly `count` bytes have arrived; throws `PeerClosed` when the peer closes
    /// first.
    public func read(exactly count: Int, timeout: Duration = testPatience) async throws -> ByteBuffer {
        var buffer = ByteBuffer(capacity: count)
        while buffer.readableBytes < count {
            let read = try await read(into: &buffer, maxBytes: count - buffer.readableBytes, timeout: timeout)
            if read == 0 { throw PeerClosed(expected: count, received: buffer.readableBytes) }
        }
        return buffer
    }

    /// Writes `bytes` one byte per write, `interval` apart, so the peer reads them in as many
    /// pieces: a slow peer on purpose.
    public func trickle(_ bytes: some Sequence<UInt8>, every interval: Duration) async throws {
        var first = true
        for byte in bytes {
            if !first { try await letTimePass(interval, because: .slowPeer) }
            first = false
            try await write(ByteBuffer(bytes: [byte]), timeout: testPatience)
        }
    }
}

/// The peer closed the connection before sending the expected number of bytes.
public struct PeerClosed: Error, CustomStringConvertible {
    public var expected: Int
    public var received: Int

    public init(expected: Int, received: Int) {
        self.expected = expected
        self.received = received
    }

    public var description: String { "connection closed after \(received) of \(expected) expected bytes" }
}
