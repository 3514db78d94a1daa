import Bytes
import Glibc
import Synchronization
import Testing
import TestSupport
@testable import Transport

/// Waits that end by timeout, cancellation or close, for writes, connects and accepts.
@Suite struct WaitTests {
    /// More than loopback socket buffers hold, so writing it to a peer that never reads stalls.
    /// The write tests below never read from the accepted end of their `loopbackPair()`.
    static let stalledPayload = ByteBuffer(bytes: [UInt8](repeating: 0x5A, count: 32 << 20))

    @Test func writeTimesOutWhenThePeerDoesNotRead() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        let start = now()
        await #expect(throws: TransportError.timedOut(operation: "write", address: connection.remoteAddress.description)) {
            try await connection.write(Self.stalledPayload, timeout: .milliseconds(300))
        }
        let elapsed = now() - start
        #expect(elapsed >= 0.29 && elapsed < 5, "waited \(elapsed) s for a 0.3 s timeout")
        connection.close()
        accepted.close()
        listener.close()
    }

    /// `writeNow` sends what the socket takes and stops at a full send buffer instead of
    /// waiting; `write` then sends the rest, and the peer reads every byte once, in order.
    @Test func writeNowStopsAtAFullSendBufferAndLeavesTheRest() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        let payload = pattern(count: 8 << 20)
        var rest = ByteBuffer(bytes: payload)
        #expect(try connection.writeNow(&rest) == false, "8 MiB fit in loopback socket buffers")
        #expect(rest.readableBytes > 0 && rest.readableBytes < payload.count, "\(rest.readableBytes) bytes left")
        async let finished: Void = connection.write(rest)
        var received = ByteBuffer()
        received.reserveCapacity(minimumWritableBytes: payload.count)
        while received.readableBytes < payload.count {
            guard try await accepted.read(into: &received, maxBytes: 1 << 20) > 0 else { break }
        }
        try await finished
        let same = payload.withUnsafeBytes { sent in
            received.withUnsafeReadableBytes { $0.count == sent.count && memcmp($0.baseAddress!, sent.baseAddress!, sent.count) == 0 }
        }
        #expect(same, "the peer read \(received.readableBytes) bytes, not the \(payload.count) sent in order")
        var empty = ByteBuffer()
        #expect(try connection.writeNow(&empty), "nothing to write is all written")
        connection.close()
        accepted.close()
        listener.close()
    }

    @Test func cancellingAPendingWrite() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        let pending = Task { try await connection.write(Self.stalledPayload) }
        try await eventually("the write to wait") { connection.socket.readiness.hasWaiter(for: .write) }
        let start = now()
        pending.cancel()
        await #expect(throws: CancellationError.self) { try await pending.value }
        #expect(now() - start < 20, "prompt, not at some later timeout")
        connection.close()
        accepted.close()
        listener.close()
    }

    @Test func closeFailsAPendingWrite() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        let pending = Task { try await connection.write(Self.stalledPayload) }
        try await eventually("the write to wait") { connection.socket.readiness.hasWaiter(for: .write) }
        connection.close()
        await #expect(throws: TransportError.closed(operation: "write")) { try await pending.value }
        accepted.close()
        listener.close()
    }

    @Test func cancellingAPendingConnect() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0, backlog: 0)
        var queued: [TCPConnection] = []
        // Fill the queue of a listener that never accepts; the next connect then hangs.
        while let connection = try? await TCPConnection.connect(host: "127.0.0.1", port: listener.port, timeout: .milliseconds(200)) {
            queued.append(connection)
            try #require(queued.count < 16)
        }
        // On a loop of its own, whose one timer is the connect's deadline, armed once it waits.
        let group = try EventLoopGroup.start(threads: 1)
        defer { group.loops[0].stop() }
        let addresses = try await SocketAddress.resolve(host: "127.0.0.1", port: listener.port)
        let pending = Task { try await TCPConnection.connect(toAny: addresses, deadline: deadline(after: .seconds(30)), group: group) }
        try await eventually("the connect to wait") { group.loops[0].hasTimers }
        let start = now()
        pending.cancel()
        await #expect(throws: CancellationError.self) { _ = try await pending.value }
        #expect(now() - start < 20, "prompt, not at some later timeout")
        for connection in queued { connection.close() }
        listener.close()
    }

    @Test func acceptTimesOutAndCanBeCancelled() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        await #expect(throws: TransportError.timedOut(operation: "accept", address: listener.localAddress.description)) {
            _ = try await listener.accept(timeout: .milliseconds(100))
        }
        let pending = Task { try await listener.accept() }
        try await eventually("the accept to wait") { listener.socket.readiness.hasWaiter(for: .read) }
        pending.cancel()
        await #expect(throws: CancellationError.self) { _ = try await pending.value }
        // Still listening after both.
        let connection = try await TCPConnection.connect(host: "127.0.0.1", port: listener.port)
        let accepted = try await listener.accept(timeout: .seconds(5))
        #expect(accepted.remoteAddress.port == connection.localAddress?.port)
        connection.close()
        accepted.close()
        listener.close()
    }

    @Test func closeRacingWithBusyReaderAndWriter() async throws {
        let server = try await EchoServer()
        for round in 0..<100 {
            let connection = try await TCPConnection.connect(host: "127.0.0.1", port: server.port)
            let writer = Task {
                do {
                    while true { try await connection.write(ByteBuffer(bytes: pattern(count: 1024)), timeout: .seconds(5)) }
                } catch { return error }
            }
            let reader = Task {
                do {
                    var buffer = ByteBuffer()
                    while try await connection.read(into: &buffer, timeout: .seconds(5)) > 0 { buffer.clear() }
                    return PeerClosed(expected: 1, received: 0) as Error
                } catch { return error }
            }
            try await letTimePass(.microseconds(round * 20), because: .stagger)
            connection.close()
            let outcomes = [await writer.value, await reader.value]
            #expect(outcomes.allSatisfy { $0 as? TransportError == .closed(operation: "write") || $0 as? TransportError == .closed(operation: "read") },
                    "round \(round): \(outcomes)")
        }
        await server.stop()
    }

    @Test func connectTriesTheNextAddressAfterARefusal() async throws {
        let server = try await EchoServer()
        let refusing = try await TCPListener.bind(host: "::1", port: 0)
        let refusedPort = refusing.port
        refusing.close()
        let addresses = try await SocketAddress.resolve(host: "::1", port: refusedPort)
            + SocketAddress.resolve(host: "127.0.0.1", port: server.port)
        let connection = try await TCPConnection.connect(toAny: addresses, deadline: nil, group: .shared)
        #expect(connection.remoteAddress.description == "127.0.0.1:\(server.port)")
        connection.close()
        await server.stop()
    }

    @Test func readsOnTheLoopExecutor() async throws {
        let server = try await EchoServer()
        let connection = try await TCPConnection.connect(host: "127.0.0.1", port: server.port)
        let echoed = try await Task(executorPreference: connection.eventLoop) {
            try await connection.write(ByteBuffer(string: "on the loop"))
            return try await connection.read(exactly: 11)
        }.value
        #expect(echoed.description == "on the loop")
        connection.close()
        await server.stop()
    }
}

@Suite struct TimerQueueTests {
    @Test func expiresInDeadlineOrderAndSkipsCancelled() {
        let fired = Mutex<[Int]>([])
        var queue = TimerQueue()
        let late = queue.schedule(at: 30) { fired.withLock { $0.append(30) } }
        _ = queue.schedule(at: 10) { fired.withLock { $0.append(10) } }
        let cancelled = queue.schedule(at: 20) { fired.withLock { $0.append(20) } }
        _ = queue.schedule(at: 10) { fired.withLock { $0.append(11) } }
        queue.cancel(cancelled)
        #expect(queue.nextDeadline() == 10)
        for action in queue.popExpired(now: 25) { action() }
        #expect(fired.withLock { $0 } == [10, 11])
        #expect(queue.nextDeadline() == 30)
        queue.cancel(late)
        #expect(queue.nextDeadline() == nil && queue.isEmpty)
    }

    @Test func manyCancelledTimersDoNotAccumulate() {
        var queue = TimerQueue()
        for deadline in 0..<10_000 {
            let id = queue.schedule(at: UInt64(10_000 - deadline)) {}
            queue.cancel(id)
        }
        #expect(queue.storedEntries <= 130, "stale entries are purged, \(queue.storedEntries) kept")
        let kept = queue.schedule(at: 5) {}
        #expect(queue.nextDeadline() == 5)
        #expect(queue.popExpired(now: 100_000).count == 1)
        queue.cancel(kept)
        #expect(queue.isEmpty)
    }
}
