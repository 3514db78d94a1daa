import AMQP091
import Bytes
import Testing
import TestSupport

/// A broker that sends malformed, oversized or out-of-order frames: the client fails the affected
/// calls with typed errors that say what was wrong, never crashes or hangs, and a list of
/// endpoints moves past a broken broker.
@Suite struct MaliciousBrokerTests {
    /// The protocol violation `call` failed with, or nil when it succeeded or failed otherwise.
    func violation(of call: () async throws -> Void) async -> AMQPError? {
        do {
            try await call()
            return nil
        } catch let error as AMQPConnectionError where error.code == .protocolViolation {
            return error.underlying as? AMQPError
        } catch {
            Issue.record("expected a protocol violation, got \(error)")
            return nil
        }
    }

    @Test func aFrameWithABadEndOctetFailsTheCallAsAFrameError() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            try await session.handshake()
            _ = try await session.nextFrame()  // channel.open
            // channel.open-ok with 0x00 where the frame-end octet 0xCE belongs.
            try await session.sendRaw([1, 0, 1, 0, 0, 0, 8, 0, 20, 0, 11, 0, 0, 0, 0, 0x00])
            _ = try? await session.nextFrame()
        }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let error = await violation { _ = try await connection.openChannel(timeout: .seconds(10)) }
        #expect(error?.reason == .badFrameEnd(0x00))
        #expect(error?.replyCode == .frameError)
        await #expect(throws: AMQPConnectionError.self, "a broken connection refuses later calls") {
            _ = try await connection.openChannel(timeout: .seconds(5))
        }
        _ = await script.result
    }

    @Test func aFrameOverTheNegotiatedMaximumIsRefusedBeforeItIsBuffered() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            try await session.handshake()
            _ = try await session.nextFrame()
            // A method frame announcing 1 GiB on a connection tuned to frame_max 4096.
            try await session.sendRaw([1, 0, 1, 0x40, 0, 0, 0])
            _ = try? await session.nextFrame()
        }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let error = await violation { _ = try await connection.openChannel(timeout: .seconds(10)) }
        #expect(error?.reason == .frameTooLarge(size: 1_073_741_832, limit: 4096))
        #expect(error?.replyCode == .frameError)
        _ = await script.result
    }

    @Test func aReplyForAnotherMethodFailsTheCall() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            try await session.handshake()
            _ = try await session.nextFrame()
            // queue.declare-ok where channel.open-ok is due.
            try await session.send(.method(channel: 1, .queueDeclareOk(QueueDeclareOk(queue: "q", messageCount: 0, consumerCount: 0))))
            _ = try? await session.nextFrame()
        }
        let connection = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10))
        let error = await violation { _ = try await connection.openChannel(timeout: .seconds(10)) }
        #expect(error?.replyCode == .unexpectedFrame, "an out-of-order reply must not open the channel")
        _ = await script.result
    }

    @Test func aTruncatedConnectionStartFailsTheConnect() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            try await session.readProtocolHeader()
            // connection.start whose frame says 4 bytes: class and method only, no arguments.
            try await session.sendRaw([1, 0, 0, 0, 0, 0, 4, 0, 10, 0, 10, 0xCE])
            _ = try? await session.nextFrame()
        }
        let error = await violation { _ = try await AMQPConnection.connect(to: broker.url, timeout: .seconds(10)) }
        #expect(error?.replyCode == .syntaxError)
        _ = await script.result
    }

    @Test(.requires(.rabbitmq)) func anEndpointListMovesPastABrokenBroker() async throws {
        let broker = try await FakeBroker()
        defer { broker.close() }
        let script = broker.serve { session in
            try await session.readProtocolHeader()
            try await session.sendRaw(Array("garbage that is no frame at all".utf8))
        }
        let real = try AMQPURL(parsing: TestServer.rabbitmq.url())
        let (connection, endpoint) = try await AMQPConnection.connect(to: [broker.url, real])
        #expect(endpoint == 1)
        let channel = try await connection.openChannel()
        try await channel.close()
        try await connection.close()
        _ = await script.result
    }
}
