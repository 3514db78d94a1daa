import Bytes
import Transport

/// A dedicated connection for pub/sub that survives server restarts.
///
/// Messages, subscription confirmations and refusals arrive on `events`. The connection lives
/// in `run()`: it connects, subscribes to every channel and pattern asked for so far, and when
/// the connection breaks it reconnects with backoff and subscribes again, so consumers only see
/// new `.subscribed` events; messages published while it was disconnected are lost, as with any
/// Redis pub/sub client. Cancelling `run()` closes the connection and finishes `events`.
///
/// A connection that goes quiet is probed: after `pingInterval` without bytes from the server
/// the subscriber sends PING (allowed in subscribed mode), and when nothing arrives within the
/// configuration's `commandTimeout` after that, it treats the connection as dead (a half-open
/// TCP connection, a hung server) and reconnects.
public actor RedisSubscriber {
    // An actor: subscription changes and the reconnect loop both write to the socket and update
    // the subscription sets, and writes on one connection must not overlap.
    /// What the subscriber's connections are opened with; in Sentinel and Cluster mode the host
    /// and port are chosen anew for every connection.
    public let configuration: RedisConfiguration
    /// The server to connect to next.
    private let target: @Sendable () async throws(RedisClientError) -> RedisConfiguration
    /// Everything received, in order; finishes when `run()` returns.
    public nonisolated let events: AsyncStream<RedisPubSubEvent>
    private let sink: AsyncStream<RedisPubSubEvent>.Continuation
    private var channels: Set<String> = []
    private var patterns: Set<String> = []
    private var transport: TCPConnection?
    /// Commands not yet written; one flush at a time writes them, so writes never overlap.
    private var outbound = ByteBuffer()
    private var flushing = false
    private let backoff: Backoff
    private let pingInterval: Duration
    private let group: EventLoopGroup

    /// A subscriber for `configuration`; it connects once `run()` runs and waits `backoff`
    /// between reconnect attempts. It sends PING after `pingInterval` without traffic and
    /// reconnects when the reply does not come within `configuration.commandTimeout`.
    public init(
        configuration: RedisConfiguration,
        backoff: Backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5)),
        pingInterval: Duration = .seconds(30),
        on group: EventLoopGroup = .shared
    ) {
        self.init(configuration: configuration, backoff: backoff, pingInterval: pingInterval, on: group) { configuration }
    }

    /// A subscriber whose every connection goes to the server `target` names then.
    init(
        configuration: RedisConfiguration, backoff: Backoff, pingInterval: Duration, on group: EventLoopGroup,
        target: @escaping @Sendable () async throws(RedisClientError) -> RedisConfiguration
    ) {
        self.configuration = configuration
        self.target = target
        self.backoff = backoff
        self.pingInterval = pingInterval
        self.group = group
        (events, sink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(100_000))
    }

    /// Subscribes to channels; confirmations arrive as `.subscribed` events.
    public func subscribe(channels names: [String]) async {
        channels.formUnion(names)
        await sendIfConnected(["SUBSCRIBE"] + names)
    }

    /// Subscribes to glob-style channel patterns (PSUBSCRIBE).
    public func subscribe(patterns names: [String]) async {
        patterns.formUnion(names)
        await sendIfConnected(["PSUBSCRIBE"] + names)
    }

    /// Unsubscribes from channels.
    public func unsubscribe(channels names: [String]) async {
        channels.subtract(names)
        await sendIfConnected(["UNSUBSCRIBE"] + names)
    }

    /// Unsubscribes from patterns.
    public func unsubscribe(patterns names: [String]) async {
        patterns.subtract(names)
        await sendIfConnected(["PUNSUBSCRIBE"] + names)
    }

    /// Connects, subscribes, and turns what arrives into `events` until cancelled, reconnecting
    /// with backoff; then closes the connection and finishes `events`.
    public func run() async {
        let loop = group.next()
        var failures = 0
        while !Task.isCancelled {
            do {
                let (connection, _) = try await RedisConnection.handshake(try await target(), on: group)
                transport = connection
                failures = 0
                outbound = ByteBuffer()
                if !channels.isEmpty { try? RESPEncoder.encodeCommand(["SUBSCRIBE"] + channels.sorted(), into: &outbound) }
                if !patterns.isEmpty { try? RESPEncoder.encodeCommand(["PSUBSCRIBE"] + patterns.sorted(), into: &outbound) }
                await flush()
                try await receive(on: connection)
            } catch {
                failures += 1
            }
            transport?.close()
            transport = nil
            try? await loop.sleep(for: backoff.delay(attempt: max(failures, 1)))
        }
        sink.finish()
    }

    private func sendIfConnected(_ command: [String]) async {
        // While disconnected the sets alone matter: `run()` subscribes to them once connected.
        guard transport != nil else { return }
        try? RESPEncoder.encodeCommand(command, into: &outbound)
        await flush()
    }

    private func flush() async {
        guard !flushing else { return }
        flushing = true
        defer { flushing = false }
        while outbound.readableBytes > 0, let transport {
            let bytes = outbound
            outbound = ByteBuffer()
            do {
                try await transport.write(bytes, timeout: configuration.commandTimeout)
            } catch {
                // The read loop sees the broken connection too, reconnects and resubscribes.
                transport.close()
                return
            }
        }
    }

    /// Turns what `connection` receives into events until the server closes it. Probes a quiet
    /// connection with PING; any bytes count as the answer.
    /// - Throws: the read or decode error, or `RedisClientError.Code.commandTimeout` when a
    ///   PING got no answer in time.
    private func receive(on connection: TCPConnection) async throws {
        var decoder = RESPDecoder()
        var probing = false
        while true {
            let bytes: ByteBuffer?
            do {
                bytes = try await connection.read(timeout: probing ? configuration.commandTimeout : pingInterval)
            } catch TransportError.Code.timedOut {
                if probing { throw RedisClientError.commandTimeout(configuration.commandTimeout) }
                probing = true
                try? RESPEncoder.encodeCommand(["PING"], into: &outbound)
                await flush()
                continue
            }
            guard let bytes else { return }
            probing = false
            decoder.feed(bytes)
            while let value = try decoder.next() {
                if let event = RedisPubSubEvent(value) { sink.yield(event) }
            }
        }
    }
}
