import Bytes
import Testing
import Transport

/// Read space is only held while bytes are there to read.
@Suite struct ReadSpaceTests {
    @Test func waitingReadKeepsAnEmptyBufferUngrown() async throws {
        try await withLoopbackPair { listener, connection, accepted in

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

    /// Regression: a read into an empty buffer grew it to 16 KiB first, so each request of a
    /// keep-alive connection, and each batch of Redis replies, cost a 16 KiB allocation, and a
    /// request kept all of it while it lived.
    @Test func aReadIntoAnEmptyBufferTakesSpaceOfItsBytes() async throws {
        try await withLoopbackPair { listener, connection, accepted in
            let request = ByteBuffer(string: "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            try await connection.write(request, timeout: .seconds(5))
            var buffer = ByteBuffer()
            var received = 0
            while received < request.readableBytes {
                received += try await accepted.read(into: &buffer, timeout: .seconds(5))
            }
            #expect(buffer == request)
            #expect(buffer.capacity <= max(64, 2 * request.readableBytes), "capacity \(buffer.capacity) for \(request.readableBytes) bytes")

            let fresh = try #require(try await {
                try await connection.write(ByteBuffer(string: "+OK\r\n"), timeout: .seconds(5))
                return try await accepted.read(timeout: .seconds(5))
            }())
            #expect(fresh == ByteBuffer(string: "+OK\r\n") && fresh.capacity <= 64)
        }
    }

    /// Bytes beyond a buffer's room arrive whole and in order, read after read, however the
    /// buffer was first sized.
    @Test func aLargeMessageArrivesWholeThroughASmallBuffer() async throws {
        try await withLoopbackPair { listener, connection, accepted in
            let message = ByteBuffer(bytes: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })
            async let sent: Void = connection.write(message, timeout: .seconds(10))
            var buffer = ByteBuffer(capacity: 100)
            var reads = 0
            while buffer.readableBytes < message.readableBytes {
                let count = try await accepted.read(into: &buffer, maxBytes: 70_000, timeout: .seconds(10))
                #expect(count > 0 && count <= 70_000)
                reads += 1
            }
            try await sent
            #expect(buffer == message)
            #expect(reads >= 5, "at most 64 KiB per read through scratch space: \(reads) reads")
        }
    }
}
