import Bytes
import Transport

/// A dedicated connection for pub/sub that survives server restarts.
///
/// Messages, subscription confirmations and refusals arrive on `events`. When the connection
/// breaks, the subscriber reconnects with backoff and subscribes again to every channel and
/// pattern it had, so consumers only see new `.subscribed` events; messages published while it
/// was disconnected are lost, as with any Redis pub/sub client.
///
/// A connection that goes quiet is probed: after `pingInterval` without bytes from the server
/// the subscriber sends PING (allowed in subscribed mode), and when nothing arrives within the
/// configuration's `commandTimeout` after that, it treats the connection as dead (a half-open
/// TCP connection, a hung server) and reconnects.
public actor RedisSubscriber {
    // An actor: subscription changes and the reconnect loop both write to the socket and update
    // the subscription sets, and writes on one connection must not overlap.
    /// What every connection of the subscriber is opened with.
    public let configuration: RedisConfiguration
    /// Everything received, in order; finishes after `close()`.
    public nonisolated let events: AsyncStream<RedisPubSubEvent>
    private let sink: AsyncStream<RedisPubSubEvent>.Continuation
    private var channels: Set<String> = []
    private var patterns: Set<String> = []
    private var transport: TCPConnection?
    /// Commands not yet written; one flush at a time writes them, so writes never overlap.
    private var outbound = ByteBuffer()
    private var flushing = false
    private var isClosed = false
    private var loop: Task<Void, Never>?
    private let initialBackoff: Duration
    private let maxBackoff: Duration
    private let pingInterval: Duration

    /// A subscriber for `configuration`; it connects on the first subscription and waits
    /// `initialBackoff`, doubling up to `maxBackoff`, between reconnect attempts. It sends PING
    /// after `pingInterval` without traffic and reconnects when the reply does not come within
    /// `configuration.commandTimeout`.
    public init(
        configuration: RedisConfiguration,
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(5),
        pingInterval: Duration = .seconds(30)
    ) {
        self.configuration = configuration
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.pingInterval = pingInterval
        (events, sink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(100_000))
    }

    /// Subscribes to channels; confirmations arrive as `.subscribed` events. Starts the
    /// connection on first use.
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

    /// Closes the connection for good and finishes `events`; later calls do nothing.
    public func close() {
        isClosed = true
        loop?.cancel()
        loop = nil
        transport?.close()
        transport = nil
        sink.finish()
    }

    private func sendIfConnected(_ command: [String]) async {
        guard !isClosed else { return }
        guard loop != nil else {
            // The loop subscribes to everything once connected.
            loop = Task { await self.run() }
            return
        }
        // While disconnected the sets alone matter: the loop resubscribes to them.
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

    /// Connects, subscribes, and reads events until cancelled, reconnecting with backoff.
    private func run() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let (connection, _) = try await RedisConnection.handshake(configuration, on: .shared)
                guard !Task.isCancelled else {
                    connection.close()
                    return
                }
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
            let backoff = min(initialBackoff * (1 << min(max(failures - 1, 0), 30)), maxBackoff)
            try? await Task.sleep(for: backoff)
        }
    }

    /// Turns what `connection` receives into events until the server closes it. Probes a quiet
    /// connection with PING; any bytes count as the answer.
    /// - Throws: the read or decode error, or `RedisClientError.commandTimeout` when a PING got
    ///   no answer in time.
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
