import Synchronization
import Transport

/// A connection to one of several RabbitMQ endpoints that recovers: the client an application
/// runs for as long as it talks to RabbitMQ.
///
/// ```swift
/// let client = AMQPClient(endpoints: [AMQPURL(parsing: "amqp://node1"), AMQPURL(parsing: "amqp://node2")])
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await client.run() }     // connects, recovers; ends when cancelled
///     let channel = try await client.openChannel()  // waits for the connection
///     try await channel.queueDeclare("orders", durable: true)
///     try await channel.confirmSelect()
///     let outcome = try await channel.publishConfirmed(routingKey: "orders", body: "…", mandatory: true)
///     group.cancelAll()
/// }
/// ```
///
/// `run()` connects to the endpoints in turn (pausing with the retry policy's backoff after
/// each pass) and supervises the connection until its task is cancelled. What it recovers:
/// - a lost connection: it reconnects (next endpoint first), declares again the exchanges,
///   queues and bindings declared through its channels (server-named queues get new names,
///   which its channels translate), reopens its channels with their qos and confirm mode, and
///   re-registers their consumers, whose sequences continue;
/// - a consumer the server cancelled (`basic.cancel`, e.g. its queue was deleted): it declares
///   the queue's recorded topology again and consumes again, with backoff;
/// - a channel the server closed (404, 541, ...): it opens it again, with its consumers;
/// - a mandatory publish that came back unroutable (312 NO_ROUTE), or a publish to an
///   exchange that is gone (404): it declares the recorded topology the publish routes
///   through again, so the next publish routes (`unroutableExchanges` lists those not yet
///   repaired).
///
/// What it does not do, on purpose: publishes awaiting a confirm when the connection drops fail
/// with the connection's error and are not sent again (the broker may or may not have them; the
/// caller decides), and deliveries from before a loss cannot be settled
/// (`AMQPConnectionError.Code.staleDelivery`; the broker redelivers them). `events` reports
/// each step, and `connection.blocked`.
public final class AMQPClient: Sendable {
    struct State {
        var connection: AMQPConnection?
        var topology = Topology()
        var channels: [UInt64: RecoveringChannel] = [:]
        var nextID: UInt64 = 0
        /// Calls waiting for a connection.
        var connectionWaiters = Waiters()
        /// Set once closed by the user, stopped, or given up; every later call fails with it.
        var closed: AMQPConnectionError?
        var running = false
        /// `close()` calls waiting for `run()` to end.
        var stopWaiters = Waiters()
        /// `run()`'s task that waits for `close()`.
        var closeRequests = Waiters()
        /// Exchanges whose last mandatory publish came back unroutable and whose topology is not
        /// yet declared again.
        var unroutable: Set<String> = []
        /// Route repairs under way, by exchange, with the calls waiting for them.
        var repairs: [String: Waiters] = [:]
    }

    /// Work for `run()`, which owns every task recovery starts.
    enum Job: Sendable {
        /// The connection's event stream ended: it is lost or closed.
        case connectionEnded(AMQPConnection)
        /// The server closed this channel; `generation` is the channel's at the time.
        case reopen(RecoveringChannel, generation: UInt64)
        /// The server cancelled this consumer.
        case recoverConsumer(RecoveringChannel, tag: String, generation: UInt64)
        /// An unconfirmed mandatory publish came back unroutable.
        case repairRoute(exchange: String, routingKey: String)
    }

    /// A Mutex rather than an actor: every section is short and never suspends, and the
    /// channels read it from synchronous paths such as `publish`. Nothing calls into a
    /// connection while holding it.
    let state = Mutex(State())
    /// The brokers the client connects to, tried in turn.
    public let endpoints: [AMQPURL]
    let configuration: ConnectionConfiguration?
    let retry: RetryPolicy
    /// How long recovery waits before it declares again a queue that went away (see `init`).
    public let redeclareDelay: Duration
    let group: EventLoopGroup
    let eventSink: AsyncStream<AMQPClientEvent>.Continuation
    let jobs: AsyncStream<Job>
    let jobSink: AsyncStream<Job>.Continuation

    /// What happens to the client; keeps the newest 256 when nobody reads. One task may read it.
    public let events: AsyncStream<AMQPClientEvent>

    /// A client of `endpoints` (tried in turn), not yet connected: `run()` connects. `retry`
    /// governs every (re)connection and, with its backoff, every recovery step; by default it
    /// tries for ever, as a long-running service wants. Connections are served by `group`.
    ///
    /// `redeclareDelay` is how long recovery waits, after a consumer was cancelled or a publish
    /// came back unroutable, before it declares the queue again. Declared sooner, RabbitMQ (3.10)
    /// can leave the other consumers of a deleted quorum queue attached to nothing: they get no
    /// cancel, and the new queue's messages are checked out to them but never delivered. Every
    /// channel of a deleted queue's consumers has been told within a few tens of milliseconds.
    public init(
        endpoints: [AMQPURL], configuration: ConnectionConfiguration? = nil, retry: RetryPolicy = .forever(),
        redeclareDelay: Duration = .milliseconds(500), on group: EventLoopGroup = .shared
    ) {
        precondition(!endpoints.isEmpty, "an AMQPClient needs at least one endpoint")
        self.endpoints = endpoints
        self.configuration = configuration
        self.retry = retry
        self.redeclareDelay = redeclareDelay
        self.group = group
        (events, eventSink) = AsyncStream.makeStream(of: AMQPClientEvent.self, bufferingPolicy: .bufferingNewest(256))
        (jobs, jobSink) = AsyncStream.makeStream(of: Job.self)
    }

    /// A client already connected to the first reachable endpoint, its `run()` in a task of its
    /// own that `close()` ends. For tools and tests; a service runs `run()` in its task group.
    ///
    /// - Throws: why the first connection failed (`.noEndpointReachable` with the last
    ///   endpoint's error, `.connectionClosed` for a refused login, `.cancelled`).
    public static func connect(
        to endpoints: [AMQPURL], configuration: ConnectionConfiguration? = nil, retry: RetryPolicy = RetryPolicy(),
        on group: EventLoopGroup = .shared
    ) async throws(AMQPConnectionError) -> AMQPClient {
        let client = AMQPClient(endpoints: endpoints, configuration: configuration, retry: retry, on: group)
        // Owner: the client. `close()` ends it and waits for it to end.
        Task { try? await client.run() }
        do {
            _ = try await client.currentConnection(timeout: nil)
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    /// True while connected and not recovering.
    public var isConnected: Bool { state.withLock { $0.connection != nil } }

    /// The current connection, nil while recovering. Channels opened on it directly are not recovered.
    public var connection: AMQPConnection? { state.withLock { $0.connection } }

    /// True while the server blocks the current connection (`connection.blocked`): publishes
    /// then wait in the client, and `publishConfirmed` can only time out.
    public var isBlocked: Bool { blockedReason != nil }

    /// The server's reason while it blocks the current connection (e.g. "low on memory").
    public var blockedReason: String? { connection?.blockedReason }

    /// Exchanges ("" for the default one) whose last mandatory publish came back unroutable and
    /// whose recorded topology has not been declared again yet.
    public var unroutableExchanges: Set<String> { state.withLock { $0.unroutable } }

    /// Returns once connected, waiting at most `timeout`.
    /// - Throws: `.timedOut`, `.cancelled`, or why the client closed.
    public func waitUntilConnected(timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        _ = try await currentConnection(timeout: timeout)
    }

    /// Opens a channel that is reopened after each recovery. Waits up to `timeout` for a connection.
    public func openChannel(timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) -> RecoveringChannel {
        while true {
            let connection = try await currentConnection(timeout: timeout)
            let underlying = try await connection.openChannel(timeout: timeout)
            // Registered only while that connection is still the client's: otherwise a recovery
            // already restored the channels without this one, so open it on the new connection.
            let channel = state.withLock { state -> RecoveringChannel? in
                guard state.connection === connection else { return nil }
                state.nextID += 1
                let channel = RecoveringChannel(client: self, id: state.nextID, channel: underlying)
                state.channels[state.nextID] = channel
                return channel
            }
            if let channel { return channel }
        }
    }

    /// Closes the connection and ends `run()` (and with it recovery); consumers' sequences end,
    /// pending calls fail with `.clientClosed`. Returns once `run()` has ended.
    public func close() async {
        let (running, requests) = state.withLock { state in
            state.closed = state.closed ?? .clientClosed("closed by the application")
            return (state.running, state.closeRequests.takeAll())
        }
        guard running else {
            finishStopped(givenUp: nil)
            return
        }
        for request in requests { request.resume() }
        try? await waitParked(timeout: nil, on: group.next(), operation: "close") { continuation in
            state.withLock { state in
                guard state.running else {
                    continuation.resume()
                    return nil
                }
                return state.stopWaiters.add(continuation)
            }
        } unpark: { [self] ticket in state.withLock { $0.stopWaiters.remove(ticket) } }
    }

    // MARK: For RecoveringChannel

    /// The connection, waiting for one when there is none, or when the current one has ended
    /// and `run()` has not noticed yet.
    func currentConnection(timeout: Duration?) async throws(AMQPConnectionError) -> AMQPConnection {
        while true {
            let current = try state.withLock { state throws(AMQPConnectionError) in
                if let closed = state.closed { throw closed }
                return state.connection
            }
            if let current, current.closeReason == nil { return current }
            try await waitParked(timeout: timeout, on: group.next(), operation: "waiting for the connection") { continuation in
                state.withLock { state in
                    if let closed = state.closed {
                        continuation.resume(throwing: closed)
                        return nil
                    }
                    guard state.connection === current else {
                        continuation.resume()
                        return nil
                    }
                    return state.connectionWaiters.add(continuation)
                }
            } unpark: { [self] ticket in state.withLock { $0.connectionWaiters.remove(ticket) } }
        }
    }

    func resolve(_ queue: String) -> String { state.withLock { $0.topology.resolve(queue) } }

    func record(_ change: (inout Topology) -> Void) { state.withLock { change(&$0.topology) } }

    func forget(_ channel: RecoveringChannel) { state.withLock { _ = $0.channels.removeValue(forKey: channel.id) } }

    /// A mandatory publish to `exchange` was routed: it is routable again.
    func routed(_ exchange: String) {
        state.withLock { state in
            if !state.unroutable.isEmpty { state.unroutable.remove(exchange) }
        }
    }

    /// Ends what `run()` leaves behind once it is over: waiting calls fail, consumers end,
    /// normally when the client was stopped, with the error when recovery gave up.
    func finishStopped(givenUp: AMQPConnectionError?) {
        let (waiters, stopWaiters, channels, error) = state.withLock { state in
            let error = givenUp ?? state.closed ?? .clientClosed("run() ended")
            state.closed = error
            state.connection = nil
            state.running = false
            return (state.connectionWaiters.takeAll(), state.stopWaiters.takeAll(), Array(state.channels.values), error)
        }
        for waiter in waiters { waiter.resume(throwing: error) }
        for waiter in stopWaiters { waiter.resume() }
        for channel in channels { channel.fail(givenUp) }
        eventSink.finish()
        jobSink.finish()
    }
}
