import AMQP091
import Bytes
import Testing
import Transport

/// The confirm window as the broker sees it: a scripted broker counts the publishes it has not
/// acked yet, and gives the client time to overstep before each ack.
@Suite(.timeLimit(.minutes(1))) struct ConfirmWindowTests {
    /// Plays confirm mode for `total` publishes on one channel, acking (with `multiple`) only
    /// when `window` are outstanding or all have come, and only after a pause in which a client
    /// that ignored its window would send more. Returns the most publishes ever outstanding.
    static func countOutstanding(_ session: FakeBrokerSession, window: Int, total: Int) async throws -> Int {
        try await session.handshake()
        let channel = try await session.openChannel()
        let (_, select) = try await session.nextMethod()
        guard case .confirmSelect = select else { throw FakeBrokerSession.UnexpectedFrame(description: "expected confirm.select, got \(select.name)") }
        try await session.send(.method(channel: channel, .confirmSelectOk(ConfirmSelectOk())))
        var received = 0
        var outstanding = 0
        var peak = 0
        while received < total || outstanding > 0 {
            let frame: AMQPFrame
            if outstanding >= window || received == total {
                do {
                    frame = try await session.nextFrame(timeout: .milliseconds(300))
                } catch TransportError.Code.timedOut {
                    try await session.send(.method(channel: channel, .basicAck(BasicAck(deliveryTag: UInt64(received), multiple: true))))
                    outstanding = 0
                    continue
                }
            } else {
                frame = try await session.nextFrame()
            }
            if case .method(_, .basicPublish) = frame {
                received += 1
                outstanding += 1
                peak = max(peak, outstanding)
            }
        }
        return peak
    }

    @Test(arguments: [1, 4]) func publishesOutstandingNeverExceedTheWindow(window: Int) async throws {
        let total = 5 * window + 2
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            let peak = try await Self.countOutstanding(session, window: window, total: total)
            // Keeps the socket open until the client has read the last ack.
            _ = try? await session.nextFrame(timeout: .seconds(5))
            guard peak == window else { throw FakeBrokerSession.UnexpectedFrame(description: "peak \(peak), window \(window)") }
        }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let channel = try await connection.openChannel()
        try await channel.confirmSelect(window: window)
        try await withThrowingTaskGroup(of: PublishConfirmation.self) { group in
            for index in 0..<total {
                group.addTask { try await channel.publishConfirmed(routingKey: "q", body: ByteBuffer(string: "\(index)"), timeout: .seconds(30)) }
            }
            for try await outcome in group { #expect(outcome == .ack) }
        }
        try await connection.close(timeout: .seconds(1))
        // The broker's count: the window was filled (publishes were not held back needlessly)
        // and never exceeded.
        try await script.value
    }
}
