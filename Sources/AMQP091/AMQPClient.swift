import Synchronization
import Transport

/// A connection to one of several RabbitMQ endpoints that recovers from connection loss.
///
/// ```swift
/// let client = try await AMQPClient.connect(to: [AMQPURL(parsing: "amqp://node1"), AMQPURL(parsing: "amqp://node2")])
/// let channel = try await client.openChannel()
/// try await channel.queueDeclare("orders", durable: true)
/// try await channel.confirmSelect()
/// let outcome = try await channel.publishConfirmed(routingKey: "orders", body: "…")
/// ```
///
/// After an unexpected loss (socket failure, missed heartbeats, a server-side close) it
/// reconnects (next endpoint first, then in turn, per its `RetryPolicy`), declares again the
/// exchanges, queues and bindings declared through its channels (server-named queues get new
/// names, which its channels translate), reopens its channels with their qos and confirm mode,
/// and re-registers their consumers, whose sequences continue. What it does not do, on purpose:
/// publishes awaiting a confirm fail with the connection's error and are not sent again (the
/// broker may or may not have them; the caller decides), and deliveries from before the loss
/// cannot be settled (`AMQPConnectionError.staleDelivery`; the broker redelivers them).
/// `events` reports each step. Closing a channel's topology by other means (another client
/// deleting a queue) is not tracked.
public final class AMQPClient: Sendable {
    struct State {
        var connection: AMQPConnection?
        var endpoint = 0
        var topology = Topology()
        var channels: [UInt64: RecoveringChannel] = [:]
        var nextID: UInt64 = 0
        var readyWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        /// Set once closed by the user or given up; every later call fails with it.
        var closed: AMQPConnectionError?
        var supervisor: Task<Void, Never>?
    }

    /// A Mutex rather than an actor: every section is short and never suspends, and the
    /// channels read it from synchronous paths such as `publish`.
    let state = Mutex(State())
    private let endpoints: [AMQPURL]
    private let configuration: ConnectionConfiguration?
    private let retry: RetryPolicy
    private let group: EventLoopGroup
    private let eventSink: AsyncStream<AMQPClientEvent>.Continuation

    /// Connection lifecycle events; keeps the newest 256 when nobody reads.
    public let events: AsyncStream<AMQPClientEvent>

    private init(endpoints: [AMQPURL], configuration: ConnectionConfiguration?, retry: RetryPolicy, group: EventLoopGroup) {
        self.endpoints = endpoints
        self.configuration = configuration
        self.retry = retry
        self.group = group
        (events, eventSink) = AsyncStream.makeStream(of: AMQPClientEvent.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// Connects to the first reachable endpoint (see `AMQPConnection.connect(to:startingAt:configuration:retry:)`).
    /// The same `retry` policy governs each later recovery; every connection is served by `group`.
    public static func connect(
        to endpoints: [AMQPURL], configuration: ConnectionConfiguration? = nil, retry: RetryPolicy = RetryPolicy(),
        on group: EventLoopGroup = .shared
    ) async throws -> AMQPClient {
        let (connection, index) = try await AMQPConnection.connect(to: endpoints, configuration: configuration, retry: retry, on: group)
        let client = AMQPClient(endpoints: endpoints, configuration: configuration, retry: retry, group: group)
        client.state.withLock { state in
            state.connection = connection
            state.endpoint = index
            state.supervisor = Task { await client.supervise(connection) }
        }
        client.eventSink.yield(.connected(endpoint: index))
        return client
    }

    /// True while connected and not recovering.
    public var isConnected: Bool { state.withLock { $0.connection != nil } }

    /// The current connection, nil while recovering. Channels opened on it directly are not recovered.
    public var connection: AMQPConnection? { state.withLock { $0.connection } }

    /// Opens a channel that is reopened after each recovery. Waits up to `timeout` when recovering.
    public func openChannel(timeout: Duration = .seconds(30)) async throws -> RecoveringChannel {
        let connection = try await currentConnection(timeout: timeout)
        let underlying = try await connection.openChannel(timeout: timeout)
        let channel = state.withLock { state in
            state.nextID += 1
            let channel = RecoveringChannel(client: self, id: state.nextID, channel: underlying)
            state.channels[state.nextID] = channel
            return channel
        }
        return channel
    }

    /// Closes the connection and ends recovery; consumers' sequences end, pending calls fail.
    public func close(timeout: Duration = .seconds(10)) async throws {
        let (connection, waiters, supervisor, channels) = state.withLock { state in
            state.closed = state.closed ?? .closedByClient
            defer { state.readyWaiters = [:] }
            return (state.connection, state.readyWaiters.values, state.supervisor, Array(state.channels.values))
        }
        for waiter in waiters { waiter.resume(throwing: AMQPConnectionError.closedByClient) }
        for channel in channels { channel.fail(nil) }
        supervisor?.cancel()
        try await connection?.close(timeout: timeout)
        eventSink.finish()
    }

    // MARK: For RecoveringChannel

    /// The connection, waiting for recovery to finish when there is none, or when it has ended
    /// and `supervise` has not yet noticed.
    func currentConnection(timeout: Duration) async throws -> AMQPConnection {
        if let connection = try state.withLock({ state throws(AMQPConnectionError) in
            if let closed = state.closed { throw closed }
            return state.connection
        }), connection.closeReason == nil {
            return connection
        }
        try await waitUntilConnected(timeout: timeout)
        return try state.withLock { state throws(AMQPConnectionError) in
            if let closed = state.closed { throw closed }
            guard let connection = state.connection else { throw .connectionNotOpen }
            return connection
        }
    }

    private func waitUntilConnected(timeout: Duration) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let timer = group.next().scheduleTask(in: timeout) { [weak self] in
            self?.failWaiter(id, AMQPConnectionError.timedOut(operation: "waiting for connection recovery"))
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                state.withLock { state in
                    if let closed = state.closed { return continuation.resume(throwing: closed) }
                    // Takes the connection's lock inside ours; the connection never calls into
                    // the client, so the order cannot invert.
                    if let connection = state.connection, connection.closeReason == nil { return continuation.resume() }
                    state.readyWaiters[id] = continuation
                }
                if Task.isCancelled { failWaiter(id, CancellationError()) }
            }
        } onCancel: {
            failWaiter(id, CancellationError())
        }
    }

    private func failWaiter(_ id: UInt64, _ error: any Error) {
        state.withLock { $0.readyWaiters.removeValue(forKey: id) }?.resume(throwing: error)
    }

    func resolve(_ queue: String) -> String { state.withLock { $0.topology.resolve(queue) } }

    func record(_ change: (inout Topology) -> Void) { state.withLock { change(&$0.topology) } }

    func forget(_ channel: RecoveringChannel) { state.withLock { _ = $0.channels.removeValue(forKey: channel.id) } }

    // MARK: Recovery

    /// Watches one connection after another until the client is closed or recovery gives up.
    private func supervise(_ first: AMQPConnection) async {
        var connection = first
        while true {
            for await event in connection.events {
                switch event {
                case .blocked(let reason): eventSink.yield(.blocked(reason: reason))
                case .unblocked: eventSink.yield(.unblocked)
                case .channelClosed(let number, let error):
                    for channel in state.withLock({ Array($0.channels.values) }) { channel.serverClosed(number, on: connection, error) }
                default: break
                }
            }
            let reason = connection.closeReason ?? .connectionLost("connection ended")
            let (stop, channels) = state.withLock { state in
                state.connection = nil
                return (state.closed != nil, Array(state.channels.values))
            }
            if stop { return }
            for channel in channels { channel.detach() }
            eventSink.yield(.connectionLost(reason))
            guard let next = await recover() else { return }
            connection = next
        }
    }

    /// Reconnects and restores everything; nil when the client was closed or recovery gave up.
    private func recover() async -> AMQPConnection? {
        var start = state.withLock { $0.endpoint + 1 }
        var failedRestores = 0
        while true {
            let connection: AMQPConnection
            let index: Int
            do {
                (connection, index) = try await AMQPConnection.connect(to: endpoints, startingAt: start, configuration: configuration, retry: retry, on: group)
            } catch {
                giveUp(error)
                return nil
            }
            do {
                try await restore(on: connection)
            } catch {
                // The new connection failed while restoring (or the broker refused part of the
                // topology): try again from the next endpoint, as often as connecting may be tried.
                try? await connection.close(timeout: .seconds(1))
                failedRestores += 1
                guard failedRestores < retry.maxAttempts ?? .max else {
                    giveUp(.clientClosed("restoring the topology and channels failed \(failedRestores) times; last: \(error)"))
                    return nil
                }
                start = index + 1
                continue
            }
            let (waiters, closed) = state.withLock { state in
                if state.closed == nil {
                    state.connection = connection
                    state.endpoint = index
                }
                defer { state.readyWaiters = [:] }
                return (state.readyWaiters.values, state.closed != nil)
            }
            if closed {
                try? await connection.close(timeout: .seconds(1))
                return nil
            }
            for waiter in waiters { waiter.resume() }
            eventSink.yield(.recovered(endpoint: index))
            return connection
        }
    }

    /// Declares the recorded topology again, then reopens the channels.
    private func restore(on connection: AMQPConnection) async throws {
        let topology = state.withLock { $0.topology }
        let channel = try await connection.openChannel()
        for exchange in topology.exchanges {
            let _: ExchangeDeclareOk = try await channel.call(exchange)
        }
        for (known, declare) in topology.queues {
            let ok: QueueDeclareOk = try await channel.call(declare)
            if declare.queue.isEmpty { state.withLock { $0.topology.renamed(known, to: ok.queue) } }
        }
        for binding in topology.exchangeBindings {
            let _: ExchangeBindOk = try await channel.call(binding)
        }
        for binding in topology.queueBindings {
            var resolved = binding
            resolved.queue = resolve(binding.queue)
            let _: QueueBindOk = try await channel.call(resolved)
        }
        try await channel.close()
        let channels = state.withLock { $0.channels.sorted { $0.key < $1.key }.map(\.value) }
        for recovering in channels { try await recovering.restore(on: connection) }
    }

    private func giveUp(_ error: AMQPConnectionError) {
        let (waiters, channels, byUser) = state.withLock { state in
            let byUser = state.closed != nil
            state.closed = state.closed ?? error
            defer { state.readyWaiters = [:] }
            return (state.readyWaiters.values, Array(state.channels.values), byUser)
        }
        for waiter in waiters { waiter.resume(throwing: error) }
        // Closed by the user mid-recovery: consumers end as after a normal close.
        for channel in channels { channel.fail(byUser ? nil : error) }
        if !byUser { eventSink.yield(.recoveryFailed(error)) }
        eventSink.finish()
    }
}
