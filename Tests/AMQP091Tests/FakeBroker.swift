import AMQP091
import Bytes
import Synchronization
import Transport

/// A scripted broker on a loopback port for tests of a misbehaving server: it accepts one
/// connection, can play the server's side of the handshake, and then does whatever a test says,
/// well-formed or not.
final class FakeBroker: Sendable {
    let listener: TCPListener

    init() async throws {
        listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
    }

    var url: AMQPURL {
        get throws { try AMQPURL(parsing: "amqp://guest:guest@127.0.0.1:\(listener.port)/") }
    }

    /// Accepts one connection and runs `script` on it; the connection is closed afterwards.
    func serve(_ script: @escaping @Sendable (FakeBrokerSession) async throws -> Void) -> Task<Void, any Error> {
        Task {
            let connection = try await listener.accept(timeout: .seconds(30))
            defer { connection.close() }
            try await script(FakeBrokerSession(connection: connection))
        }
    }

    func close() { listener.close() }
}

/// The server's end of one connection.
final class FakeBrokerSession: Sendable {
    let connection: TCPConnection
    /// Only the script's task touches the decoder; the lock just satisfies Sendable.
    private let decoder = Mutex(FrameDecoder())

    init(connection: TCPConnection) { self.connection = connection }

    struct PeerClosed: Error {}

    func readProtocolHeader() async throws {
        var header = ByteBuffer()
        while header.readableBytes < 8 {
            guard try await connection.read(into: &header, maxBytes: 8 - header.readableBytes, timeout: .seconds(30)) > 0 else { throw PeerClosed() }
        }
    }

    /// The next frame from the client; throws `TransportError.timedOut` after `timeout`.
    func nextFrame(timeout: Duration = .seconds(30)) async throws -> AMQPFrame {
        while true {
            if let frame = try decoder.withLock({ try $0.next() }) { return frame }
            guard let bytes = try await connection.read(timeout: timeout) else { throw PeerClosed() }
            decoder.withLock { $0.append(bytes) }
        }
    }

    /// The next method frame, skipping heartbeats.
    func nextMethod() async throws -> (channel: UInt16, method: AMQPMethod) {
        while true {
            if case .method(let channel, let method) = try await nextFrame() { return (channel, method) }
        }
    }

    func send(_ frame: AMQPFrame) async throws {
        var buffer = ByteBuffer()
        try FrameEncoder().encode(frame, into: &buffer)
        try await connection.write(buffer)
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await connection.write(ByteBuffer(bytes: bytes))
    }

    /// Plays a well-behaved server up to connection.open-ok, proposing `heartbeat` seconds.
    func handshake(heartbeat: UInt16 = 0) async throws {
        try await readProtocolHeader()
        try await send(.method(channel: 0, .connectionStart(ConnectionStart(serverProperties: ["product": "fake"]))))
        _ = try await nextFrame()  // start-ok
        try await send(.method(channel: 0, .connectionTune(ConnectionTune(channelMax: 16, frameMax: 4096, heartbeat: heartbeat))))
        _ = try await nextFrame()  // tune-ok
        _ = try await nextFrame()  // open
        try await send(.method(channel: 0, .connectionOpenOk(ConnectionOpenOk())))
    }

    /// Answers the client's next `channel.open`; returns the channel number.
    func openChannel() async throws -> UInt16 {
        let (channel, method) = try await nextMethod()
        guard case .channelOpen = method else { throw UnexpectedFrame(description: "expected channel.open, got \(method.name)") }
        try await send(.method(channel: channel, .channelOpenOk(ChannelOpenOk())))
        return channel
    }

    /// Answers the client's next `basic.consume` on `channel` with consume-ok; returns the request.
    func acceptConsume(on channel: UInt16) async throws -> BasicConsume {
        let (_, method) = try await nextMethod()
        guard case .basicConsume(let request) = method else { throw UnexpectedFrame(description: "expected basic.consume, got \(method.name)") }
        try await send(.method(channel: channel, .basicConsumeOk(BasicConsumeOk(consumerTag: request.consumerTag))))
        return request
    }

    struct UnexpectedFrame: Error, CustomStringConvertible {
        let description: String
    }
}
