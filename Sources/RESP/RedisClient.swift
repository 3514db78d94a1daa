import Synchronization
import Transport

/// A pool of `RedisConnection`s to one server, opened on demand and replaced when they close.
///
/// `send` and the typed commands run on a shared connection (several callers pipeline on each),
/// opening another one, up to `maxConnections`, when all are busy. `withConnection` leases a
/// connection exclusively, for WATCH / MULTI / EXEC sequences that must not interleave with
/// other callers. After a failed connect, new connects wait for the reconnect backoff;
/// meanwhile commands fail at once with the last connect error instead of piling up. Commands
/// are never retried: one in flight when its connection breaks fails with `.connectionClosed` or
/// `.connectionLost`.
///
/// The connections' readers and writers run in `run()`, which must be running for commands to
/// complete (see `RedisClientProtocol`); cancelling it closes the pool.
public final class RedisClient: RedisClientProtocol, Sendable {
    /// Pool sizing and reconnect policy.
    public struct Options: Sendable, Hashable {
        /// Most connections open (shared plus leased plus being opened) at once.
        public var maxConnections: Int
        /// How long a caller waits for a connection when all are leased before `.poolExhausted`.
        public var waitTimeout: Duration
        /// How long connects are held off after consecutive failed ones.
        public var reconnectBackoff: Backoff

        /// Pool options; see each property.
        public init(
            maxConnections: Int = 8,
            waitTimeout: Duration = .seconds(5),
            reconnectBackoff: Backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        ) {
            precondition(maxConnections > 0, "a pool needs at least one connection")
            self.maxConnections = maxConnections
            self.waitTimeout = waitTimeout
            self.reconnectBackoff = reconnectBackoff
        }
    }

    /// Pool bookkeeping. A mutex, not an actor: it is touched by every command and each section
    /// is short and never suspends.
    private struct Pool {
        var shared: [RedisConnection] = []
        var leased = 0
        var opening = 0
        var failures = 0
        var retryAt: ContinuousClock.Instant?
        var lastConnectError: RedisClientError?
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
        var isShutDown = false
        var isRunning = false
        /// Where the round-robin over `shared` goes on.
        var cursor = 0
        /// Counts the times waiters were woken (capacity changed). A caller that decided to wait
        /// registers only if none came since its decision: one that came between the two lock
        /// sections would otherwise be missed, leaving it waiting while connections are idle.
        var wakeups: UInt64 = 0

        var total: Int { shared.count + leased + opening }
    }

    /// A caller waiting for capacity, and the loop timer that ends its wait.
    private struct Waiter {
        /// Resumed with nil to decide again, or with the error ending the wait.
        let continuation: UnsafeContinuation<RedisClientError?, Never>
        let timer: Scheduled
    }

    /// What `acquire` decided under the lock.
    private enum Decision {
        case use(RedisConnection)
        case open
        /// Wait for capacity, unless woken since `wakeups` was this.
        case wait(wakeups: UInt64)
    }

    /// How every connection of the pool is opened.
    public let configuration: RedisConfiguration
    /// Pool sizing and reconnect policy.
    public let options: Options
    private let group: EventLoopGroup
    private let pool = Mutex(Pool())

    /// Callers waiting for a connection now; tests wait on it to know a caller has reached its wait.
    var connectionWaiters: Int { pool.withLock { $0.waiters.count } }
    /// Connections opened for `run()` to serve.
    private let opened: (stream: AsyncStream<RedisConnection>, continuation: AsyncStream<RedisConnection>.Continuation)

    /// A pool for `configuration` whose connections are spread over the loops of `group`; no
    /// connection opens until the first command.
    public init(configuration: RedisConfiguration, options: Options = Options(), on group: EventLoopGroup = .shared) {
        self.configuration = configuration
        self.options = options
        self.group = group
        opened = AsyncStream.makeStream()
    }

    /// A pool for a `redis://[user:password@]host[:port][/db]` URL.
    public convenience init(url: String, options: Options = Options(), on group: EventLoopGroup = .shared) throws(RedisClientError) {
        self.init(configuration: try RedisConfiguration(url: url), options: options, on: group)
    }

    /// Serves the pool's connections until cancelled, then closes them; later commands fail with
    /// `.connectionClosed`. Runs once per client.
    public func run() async {
        let first = pool.withLock { pool in
            defer { pool.isRunning = true }
            return !pool.isRunning
        }
        precondition(first, "RedisClient.run() called twice")
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { tasks in
                for await connection in opened.stream {
                    tasks.addTask(executorPreference: connection.eventLoop) { await connection.run() }
                }
            }
        } onCancel: {
            shutdown()
        }
    }

    /// A subscriber to this client's server.
    public func makeSubscriber() -> RedisSubscriber {
        RedisSubscriber(configuration: configuration, on: group)
    }

    /// Sends one command on a shared connection.
    public func send(_ arguments: [any RESPArgument]) async throws(RedisClientError) -> RESPValue {
        try await acquire(exclusive: false).send(arguments)
    }

    /// Sends commands as one pipeline on a shared connection; see `RedisConnection.pipeline`.
    public func pipeline(_ commands: [[any RESPArgument]]) async throws(RedisClientError) -> [RESPValue] {
        try await acquire(exclusive: false).pipeline(commands)
    }

    /// Runs `body` with a connection no other caller uses until it returns (for WATCH/MULTI).
    /// Keys left watched are unwatched before the connection is shared again; other connection
    /// state (SELECT, CLIENT SETNAME) is the caller's to restore.
    /// - Throws: a `RedisClientError` when no connection can be had, else what `body` throws.
    public func withConnection<Result: Sendable, Failure: Error>(
        _ body: (RedisConnection) async throws(Failure) -> Result
    ) async throws -> Result {
        let connection = try await acquire(exclusive: true)
        do {
            let result = try await body(connection)
            await unwatchAndRelease(connection)
            return result
        } catch {
            await unwatchAndRelease(connection)
            throw error
        }
    }

    private func unwatchAndRelease(_ connection: RedisConnection) async {
        // Written even if the caller is cancelled (only its wait is skipped); a failure means
        // the connection closed, which `release` sees.
        _ = try? await connection.send(["UNWATCH"])
        release(connection)
    }

    /// Closes every connection and ends `run()`; commands waiting for replies fail with `error`
    /// (a connection leased by `withConnection` closes when it comes back), later ones with
    /// `.connectionClosed`.
    func shutdown(failing error: RedisClientError = shutDown) {
        let (connections, waiters) = pool.withLock { pool in
            pool.isShutDown = true
            defer { pool.shared = []; pool.waiters = [:] }
            return (pool.shared, pool.waiters.values)
        }
        opened.continuation.finish()
        for connection in connections { connection.close(failing: error) }
        for waiter in waiters {
            waiter.timer.cancel()
            waiter.continuation.resume(returning: Self.shutDown)
        }
    }

    static let shutDown = RedisClientError.connectionClosed(reason: "client shut down")

    /// Number of open shared connections, for monitoring.
    public var openConnections: Int { pool.withLock { $0.shared.count } }

    private func acquire(exclusive: Bool) async throws(RedisClientError) -> RedisConnection {
        var deadline: ContinuousClock.Instant?
        while true {
            let decision = try pool.withLock { (pool) throws(RedisClientError) -> Decision in
                try decide(&pool, exclusive: exclusive)
            }
            switch decision {
            case .use(let connection):
                return connection
            case .open:
                return try await open(exclusive: exclusive)
            case .wait(let wakeups):
                if deadline == nil { deadline = .now + options.waitTimeout }
                try await waitForCapacity(until: deadline!, unlessWokenSince: wakeups)
            }
        }
    }

    /// Picks a connection for one caller: an idle shared one, else a new one while the pool may
    /// grow, else a busy one to pipeline on (or, to lease, to wait for). It looks at two shared
    /// connections in round-robin order rather than at all of them, so a command costs the same
    /// few locks however large the pool; closed connections met on the way are dropped. Of two
    /// idle ones it takes the one served by the caller's own loop, if either is: its reply then
    /// resumes the caller without waking another thread.
    private func decide(_ pool: inout Pool, exclusive: Bool) throws(RedisClientError) -> Decision {
        if pool.isShutDown { throw Self.shutDown }
        let backingOff = pool.retryAt.map { ContinuousClock.now < $0 } ?? false
        var busy: RedisConnection?
        var idle: RedisConnection?
        var probes = 2
        while probes > 0, !pool.shared.isEmpty {
            let index = pool.cursor % pool.shared.count
            pool.cursor &+= 1
            let connection = pool.shared[index]
            let (closed, inFlight) = connection.load
            if closed {
                pool.shared.remove(at: index)
                continue
            }
            probes -= 1
            if inFlight == 0 {
                if connection.eventLoop.isCurrent { return lease(connection, &pool, exclusive: exclusive) }
                idle = idle ?? connection
            }
            busy = busy ?? connection
        }
        if let idle { return lease(idle, &pool, exclusive: exclusive) }
        if let busy, pool.total >= options.maxConnections || (backingOff && !exclusive) {
            return lease(busy, &pool, exclusive: exclusive)
        }
        guard pool.total < options.maxConnections else { return .wait(wakeups: pool.wakeups) }
        if backingOff, let error = pool.lastConnectError { throw error }
        pool.opening += 1
        return .open
    }

    /// Uses a shared connection, taking it out of the shared ones when leased.
    private func lease(_ connection: RedisConnection, _ pool: inout Pool, exclusive: Bool) -> Decision {
        if exclusive {
            pool.leased += 1
            pool.shared.removeAll { $0 === connection }
        }
        return .use(connection)
    }

    private func open(exclusive: Bool) async throws(RedisClientError) -> RedisConnection {
        let connection: RedisConnection
        do {
            connection = try await RedisConnection.open(configuration, on: group)
        } catch {
            let waiters = pool.withLock { pool in
                pool.opening -= 1
                pool.failures += 1
                pool.lastConnectError = error
                pool.retryAt = .now + options.reconnectBackoff.delay(attempt: pool.failures)
                return takeWaiters(&pool)
            }
            resume(waiters)
            throw error
        }
        let (accepted, waiters) = pool.withLock { pool in
            pool.opening -= 1
            pool.failures = 0
            pool.retryAt = nil
            pool.lastConnectError = nil
            guard !pool.isShutDown else { return (false, [Waiter]()) }
            if exclusive { pool.leased += 1 } else { pool.shared.append(connection) }
            return (true, exclusive ? [] : takeWaiters(&pool))
        }
        guard accepted else {
            connection.close()
            throw Self.shutDown
        }
        opened.continuation.yield(connection)
        resume(waiters)
        return connection
    }

    private func release(_ connection: RedisConnection) {
        let (waiters, shutDown) = pool.withLock { pool in
            pool.leased -= 1
            if !connection.isClosed && !pool.isShutDown { pool.shared.append(connection) }
            return (takeWaiters(&pool), pool.isShutDown)
        }
        if shutDown { connection.close() }
        resume(waiters)
    }

    /// All waiters, to decide again: a shared connection can serve any number of them.
    private func takeWaiters(_ pool: inout Pool) -> [Waiter] {
        pool.wakeups &+= 1
        defer { pool.waiters = [:] }
        return Array(pool.waiters.values)
    }

    private func resume(_ waiters: [Waiter]) {
        for waiter in waiters {
            waiter.timer.cancel()
            waiter.continuation.resume(returning: nil)
        }
    }

    /// Waits until a leased connection comes back or an open ends, or throws `.poolExhausted`
    /// at `deadline`, timed by a loop timer. Returns at once when waiters were woken after the
    /// caller's decision to wait (`wakeups` then differs), so the caller decides again.
    private func waitForCapacity(until deadline: ContinuousClock.Instant, unlessWokenSince wakeups: UInt64) async throws(RedisClientError) {
        let id = pool.withLock { pool in
            pool.nextWaiter += 1
            return pool.nextWaiter
        }
        let exhausted = RedisClientError.poolExhausted(maxConnections: options.maxConnections, waited: options.waitTimeout)
        let loop = group.next()
        let failure = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<RedisClientError?, Never>) in
                let now: RedisClientError?? = pool.withLock { pool in
                    if Task.isCancelled { return RedisClientError.cancelled }
                    if pool.isShutDown { return Self.shutDown }
                    if pool.wakeups != wakeups { return .some(nil) }
                    guard ContinuousClock.now < deadline else { return exhausted }
                    // Armed under the lock, so whoever takes the waiter out finds its timer.
                    let timer = loop.scheduleTask(at: deadline) { [weak self] in self?.expireWaiter(id, with: exhausted) }
                    pool.waiters[id] = Waiter(continuation: continuation, timer: timer)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            expireWaiter(id, with: .cancelled)
        }
        if let failure { throw failure }
    }

    /// Ends waiter `id`'s wait with `error`, unless it was already resumed.
    private func expireWaiter(_ id: UInt64, with error: RedisClientError) {
        guard let waiter = pool.withLock({ $0.waiters.removeValue(forKey: id) }) else { return }
        waiter.timer.cancel()
        waiter.continuation.resume(returning: error)
    }
}
