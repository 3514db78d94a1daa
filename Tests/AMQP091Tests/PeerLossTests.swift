@testable import AMQP091
import Bytes
import Testing
import TestSupport
import Transport

/// A broker that goes silent, hangs up, or stops reading: pending calls fail promptly with a
/// typed error, and the connection lets go of its socket. Scripted with `FakeBroker`.
@Suite(.timeLimit(.minutes(1))) struct PeerLossTests {
    /// How long `body` took, and the error it threw (nil when it returned).
    func failure(of body: () async throws -> Void) async -> (error: (any Error)?, elapsed: Duration) {
        let start = ContinuousClock.now
        do {
            try await body()
            return (nil, .now - start)
        } catch {
            return (error, .now - start)
        }
    }

    @Test func aBrokerThatStopsSendingHeartbeatsIsLostWithinTwoIntervals() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            try await session.handshake(heartbeat: 1)
            _ = try await session.nextMethod()  // channel.open, never answered
            try await untilCancelled()
        }
        defer { script.cancel() }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let (error, elapsed) = await failure { _ = try await connection.openChannel(timeout: .seconds(30)) }
        guard let lost = error as? AMQPConnectionError, lost.code == .connectionLost else {
            Issue.record("expected connectionLost, got \(String(describing: error))")
            return
        }
        #expect(lost.message.contains("heartbeat"))
        // The cause is kept: the read that waited two intervals for a byte.
        #expect((lost.underlying as? TransportError)?.code == .timedOut)
        // Two missed 1 s heartbeats: about 2 s, well before the call's own 30 s timeout.
        #expect(elapsed >= .seconds(1) && elapsed < .seconds(6), "lost after \(elapsed)")
        #expect(connection.closeReason == lost)
    }

    @Test func aBrokerHangingUpFailsAPendingChannelOpenAtOnce() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            try await session.handshake()
            _ = try await session.nextMethod()  // channel.open; returning closes the socket
        }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let (error, elapsed) = await failure { _ = try await connection.openChannel(timeout: .seconds(30)) }
        #expect(error as? AMQPConnectionError == .connectionLost("server closed the socket"))
        #expect(elapsed < .seconds(3), "failed after \(elapsed)")
        _ = await script.result
    }

    @Test func aBrokerHangingUpFailsEveryPendingRequestOnEveryChannel() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            try await session.handshake()
            _ = try await session.openChannel()
            _ = try await session.openChannel()
            _ = try await session.nextMethod()  // queue.declare
            _ = try await session.nextMethod()  // basic.qos
        }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let first = try await connection.openChannel()
        let second = try await connection.openChannel()
        let start = ContinuousClock.now
        async let declare = failure { try await first.queueDeclare("jobs", timeout: .seconds(30)) }
        async let qos = failure { try await second.qos(prefetchCount: 10, timeout: .seconds(30)) }
        for (error, _) in await [declare, qos] {
            #expect(error as? AMQPConnectionError == .connectionLost("server closed the socket"))
        }
        #expect(ContinuousClock.now - start < .seconds(3))
        // Later calls fail at once with the same reason.
        await #expect(throws: AMQPConnectionError.connectionLost("server closed the socket")) {
            try await first.queueDeclare("jobs")
        }
        _ = await script.result
    }

    @Test func anAbortWhileThePeerDoesNotReadStillClosesTheSocket() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        // The broker stops reading after the handshake, so the client's writes back up.
        let script = broker.serve { session in
            try await session.handshake()
            _ = try await session.openChannel()
            try await untilCancelled()
        }
        defer { script.cancel() }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let channel = try await connection.openChannel()
        // More than loopback's socket buffers hold on both ends together.
        let body = ByteBuffer(bytes: [UInt8](repeating: 7, count: 1 << 20))
        for _ in 0..<32 { try channel.publish(routingKey: "q", body: body) }

        // The close handshake cannot happen; the connection is dropped after the timeout.
        let (error, elapsed) = await failure { try await connection.close(timeout: .milliseconds(300)) }
        #expect(error == nil)
        #expect(elapsed < .seconds(3))
        #expect(connection.closeReason == .closedByClient)
        // The writer is stuck in a write the peer never drains; the socket is closed under it
        // once the drain time is up, which also ends the write and the reader.
        try await letTimePass(AMQPConnection.drainTimeout + .seconds(1), because: .timerUnderTest)
        await #expect(throws: TransportError.closed(operation: "write")) {
            try await connection.socket.write(ByteBuffer(bytes: [0]), timeout: .milliseconds(100))
        }
    }
}
