import Bytes
import Synchronization
import Testing
import Transport

/// `TCPConnection.onPeerHangUp`: noticing a peer that went away without reading.
@Suite struct PeerHangUpTests {
    /// Counts the calls of a hang-up handler and lets a test wait for the next one.
    final class Calls: Sendable {
        private let state = Mutex<(count: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))
        var count: Int { state.withLock { $0.count } }

        var handler: @Sendable () -> Void {
            { [self] in
                let waiters = state.withLock { state in
                    state.count += 1
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume() }
            }
        }

        /// Returns once the handler has been called at least once, or throws after 10 seconds.
        func called(on loop: EventLoop) async throws {
            try await withTimeout(.seconds(10), on: loop, operation: "hang-up handler") { [self] in
                await withCheckedContinuation { continuation in
                    let now = state.withLock { state in
                        if state.count == 0 { state.waiters.append(continuation) }
                        return state.count > 0
                    }
                    if now { continuation.resume() }
                }
            }
        }
    }

    @Test func calledWhenThePeerCloses() async throws {
        let (listener, client, server) = try await loopbackPair()
        let calls = Calls()
        #expect(server.onPeerHangUp(calls.handler))
        // Data is no hang-up: the server reads it, which needs the loop to have seen its edge.
        try await client.write(ByteBuffer(string: "request"))
        #expect(try await server.read(timeout: .seconds(5)) == ByteBuffer(string: "request"))
        #expect(calls.count == 0)
        client.close()
        try await calls.called(on: server.eventLoop)
        #expect(calls.count == 1)
        #expect(!server.onPeerHangUp(Calls().handler), "a hang-up already seen installs nothing")
        server.close()
        listener.close()
    }

    @Test func calledWhenThePeerResets() async throws {
        let (listener, client, server) = try await loopbackPair()
        let calls = Calls()
        #expect(server.onPeerHangUp(calls.handler))
        // Closing with unread data makes the kernel reset the connection.
        try await server.write(ByteBuffer(string: "unread"))
        try await readOneByte(client)
        client.close()
        try await calls.called(on: server.eventLoop)
        #expect(calls.count == 1)
        server.close()
        listener.close()
    }

    @Test func aReplacedHandlerIsNotCalled() async throws {
        let (listener, client, server) = try await loopbackPair()
        let first = Calls()
        let second = Calls()
        #expect(server.onPeerHangUp(first.handler))
        #expect(server.onPeerHangUp(nil))
        #expect(server.onPeerHangUp(second.handler))
        client.close()
        try await second.called(on: server.eventLoop)
        #expect(first.count == 0)
        server.close()
        listener.close()
    }

    @Test func closingLocallyIsNoHangUp() async throws {
        let (listener, client, server) = try await loopbackPair()
        let calls = Calls()
        #expect(server.onPeerHangUp(calls.handler))
        server.close()
        #expect(!server.onPeerHangUp(calls.handler))
        // The client sees the close; the server's handler was dropped with it.
        #expect(try await client.read(timeout: .seconds(5)) == nil)
        #expect(calls.count == 0)
        client.close()
        listener.close()
    }

    /// Waits for the first of the bytes sent to `connection` and reads only it, leaving the rest.
    private func readOneByte(_ connection: TCPConnection) async throws {
        var buffer = ByteBuffer()
        _ = try await connection.read(into: &buffer, maxBytes: 1, timeout: .seconds(5))
    }
}
