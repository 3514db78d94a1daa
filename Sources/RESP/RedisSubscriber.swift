import Bytes
import Transport

/// A dedicated connection for pub/sub that survives server restarts.
///
/// Messages and subscription confirmations arrive on `events`. When the connection breaks, the
/// subscriber reconnects with backoff and subscribes again to every channel and pattern it had,
/// so consumers only see new `.subscribed` events; messages published while it was disconnected
/// are lost, as with any Redis pub/sub client.
public actor RedisSubscriber {
    // An actor: subscription changes and the reconnect loop both write to the socket and update
    // the subscription sets, and writes on one connection must not overlap.
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

    /// A subscriber for `configuration`; it connects on the first subscription and waits
    /// `initialBackoff`, doubling up to `maxBackoff`, between reconnect attempts.
    public init(configuration: RedisConfiguration, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(5)) {
        self.configuration = configuration
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
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
                let (connection, _) = try await RedisConnection.open(configuration)
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
                var decoder = RESPDecoder()
                while let bytes = try await connection.read() {
                    decoder.feed(bytes)
                    while let value = try decoder.next() {
                        if let event = RedisPubSubEvent(value) { sink.yield(event) }
                    }
                }
                connection.close()
            } catch {
                failures += 1
            }
            transport = nil
            let backoff = min(initialBackoff * (1 << min(max(failures - 1, 0), 30)), maxBackoff)
            try? await Task.sleep(for: backoff)
        }
    }
}
