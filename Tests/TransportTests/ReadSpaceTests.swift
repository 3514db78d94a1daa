import Bytes
import Testing
import Transport

/// Read space is only held while bytes are there to read.
@Suite struct ReadSpaceTests {
    @Test func waitingReadKeepsAnEmptyBufferUngrown() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        defer {
            connection.close()
            accepted.close()
            listener.close()
        }

        var empty = ByteBuffer()
        let before = empty.capacity
        do {
            _ = try await accepted.read(into: &empty, timeout: .milliseconds(100))
            Issue.record("read returned without data")
        } catch TransportError.Code.timedOut {}
        #expect(empty.capacity == before, "the read waited on storage it allocated")

        var roomy = ByteBuffer(capacity: 32768)
        do {
            _ = try await accepted.read(into: &roomy, timeout: .milliseconds(100))
            Issue.record("read returned without data")
        } catch TransportError.Code.timedOut {}
        #expect(roomy.capacity == 32768, "a buffer with room keeps it")

        // The buffer handed back still takes the bytes once they arrive.
        try await connection.write(ByteBuffer(string: "ping"), timeout: .seconds(5))
        let count = try await accepted.read(into: &empty, timeout: .seconds(5))
        #expect(count == 4)
        #expect(empty == ByteBuffer(string: "ping"))
    }
}
