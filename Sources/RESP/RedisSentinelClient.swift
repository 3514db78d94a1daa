import Synchronization
import Transport

/// A client of the master that a set of Redis Sentinels watches, which follows failovers.
///
/// The master is found by asking the sentinels in turn (`SENTINEL get-master-addr-by-name`) and
/// is used only once it answers `ROLE` as a master, so a sentinel's stale answer is never
/// trusted. The client listens on every sentinel for the announcements of a failover (the
/// promotion from the sentinel leading it, `+switch-master` from all) and moves to the new
/// master at the first one; a `READONLY` reply (a write that reached a demoted master) or a
/// master that cannot be reached also makes it look again.
///
/// What happens to a command during a failover:
/// - It is sent again, on the master found next and within its command timeout, only when it
///   provably did not run: no connection to the old master could be opened, or the server
///   refused it without running it (`READONLY`, `LOADING`, `MASTERDOWN`).
/// - A command in flight when the connection breaks may or may not have run: it fails, with
///   `RedisClientError.Code.failover` when the master has moved meanwhile (the break is kept as
///   the cause), and with the connection error otherwise.
///
/// Its work (the master's pool, the sentinel subscription, the discovery) runs in `run()`.
public final class RedisSentinelClient: RedisClientProtocol, Sendable {
    /// The master found, and the pool of connections to it.
    struct Master: Sendable {
        let endpoint: RedisEndpoint
        let client: RedisClient
    }

    /// Where the sentinels are and how to reach the master.
    public let configuration: RedisSentinelConfiguration
    private let group: EventLoopGroup
    /// The master in use; missing while one is being found.
    private let master = AwaitedValue<Master>()
    /// The sentinels in the order they are asked: the last one that named a master first.
    private let sentinels: Mutex<[RedisEndpoint]>
    /// Requests to find the master, with the one a `+switch-master` named; coalesced to the newest.
    private let discoveries = AsyncStream<RedisEndpoint?>.makeStream(bufferingPolicy: .bufferingNewest(1))
    /// Pools for `run()` to serve.
    private let pools = AsyncStream<RedisClient>.makeStream()
    private let stopped = Atomic<Bool>(false)

    /// A client for `configuration`, whose connections are served by `group`. Nothing connects
    /// before `run()`.
    public init(configuration: RedisSentinelConfiguration, on group: EventLoopGroup = .shared) {
        precondition(!configuration.sentinels.isEmpty, "a Sentinel client needs at least one sentinel")
        self.configuration = configuration
        self.group = group
        sentinels = Mutex(configuration.sentinels)
    }

    /// A client for a `redis-sentinel://` URL.
    public convenience init(url: String, on group: EventLoopGroup = .shared) throws(RedisClientError) {
        self.init(configuration: try RedisSentinelConfiguration(url: url), on: group)
    }

    /// The master in use now, if one has been found.
    public var currentMaster: RedisEndpoint? { master.current?.endpoint }

    /// Finds the master, follows failovers and serves the master's connections until cancelled;
    /// then closes everything, and commands fail with `.connectionClosed`.
    public func run() async {
        // Failovers are heard on every sentinel. The one leading a failover announces the
        // replica it has just told to become master (`+failover-state-wait-promotion`), then
        // the promotion once it sees it (`+promoted-slave`, about a second later), and
        // `+switch-master` only once the other replicas follow it; the other sentinels announce
        // `+switch-master` as soon as they learn of the promotion. Every write the old master
        // takes after the promotion is lost, so the client moves at the first sign.
        let watchers = configuration.sentinels.map { sentinel in
            RedisSubscriber(configuration: configuration.sentinelConfiguration(sentinel), backoff: configuration.retryBackoff, pingInterval: .seconds(5), on: group)
        }
        await withDiscardingTaskGroup { tasks in
            for watcher in watchers {
                tasks.addTask { await watcher.run() }
                tasks.addTask { await self.followSwitches(watcher) }
                await watcher.subscribe(channels: ["+switch-master", "+failover-state-wait-promotion", "+promoted-slave"])
            }
            tasks.addTask { await self.discover() }
            discoveries.continuation.yield(nil)
            for await pool in pools.stream {
                tasks.addTask { await pool.run() }
            }
        }
        stopped.store(true, ordering: .releasing)
        master.set(nil)
        master.fail(RedisClient.shutDown)
    }

    /// Sends one command to the master; see the type's notes for what is retried.
    public func send(_ arguments: [any RESPArgument]) async throws(RedisClientError) -> RESPValue {
        let deadline = ContinuousClock.now + configuration.node.commandTimeout
        return try await withMaster(until: deadline) { (client) throws(RedisClientError) in try await client.send(arguments) }.result
    }

    /// Sends commands as one pipeline to the master and returns every reply in order. Commands
    /// (or `MULTI` blocks) the old master refused without running them are sent again to the
    /// new one, after the others.
    public func pipeline(_ commands: [[any RESPArgument]]) async throws(RedisClientError) -> [RESPValue] {
        let deadline = ContinuousClock.now + configuration.node.commandTimeout
        var replies = [RESPValue?](repeating: nil, count: commands.count)
        var pending = RedisPipelineUnits.split(commands.map(RedisArgumentBytes.commandName))
        var attempt = 0
        while true {
            let (used, answers) = try await withMaster(until: deadline) { (client) throws(RedisClientError) in
                try await client.pipeline(pending.flatMap { commands[$0] })
            }
            var refused: [Range<Int>] = []
            var offset = 0
            for unit in pending {
                let unitReplies = answers[offset..<offset + unit.count]
                offset += unit.count
                for (index, reply) in zip(unit, unitReplies) { replies[index] = reply }
                if RedisPipelineUnits.refusal(unitReplies) != nil { refused.append(unit) }
            }
            guard !refused.isEmpty else { return replies.map { $0! } }
            invalidate(used)
            attempt += 1
            // Out of time: the refusals stay in the replies, as error values.
            guard (try? await configuration.retryBackoff.pause(attempt, until: deadline, on: group, failing: .cancelled)) != nil else { return replies.map { $0! } }
            pending = refused
        }
    }

    /// A subscriber for pub/sub; each of its connections goes to the master in use then.
    public func makeSubscriber() -> RedisSubscriber {
        RedisSubscriber(configuration: configuration.node, backoff: configuration.retryBackoff, pingInterval: .seconds(30), on: group) {
            () throws(RedisClientError) in
            var target = self.configuration.node
            target.endpoint = try await self.currentMaster(until: .now + self.configuration.node.connectTimeout).endpoint
            return target
        }
    }

    /// Runs `operation` on the master's pool, finding the master first when needed (again after
    /// a failure that provably did not run the command), and returns the master used too.
    private func withMaster<Result>(
        until deadline: ContinuousClock.Instant,
        _ operation: (RedisClient) async throws(RedisClientError) -> Result
    ) async throws(RedisClientError) -> (used: Master, result: Result) {
        var attempt = 0
        while true {
            let used: Master
            do {
                used = try await currentMaster(until: deadline)
            } catch where error.code == .topologyUnavailable {
                attempt += 1
                try await configuration.retryBackoff.pause(attempt, until: deadline, on: group, failing: error)
                continue
            }
            do {
                return (used, try await operation(used.client))
            } catch {
                if RedisPipelineUnits.didNotRun(error) {
                    invalidate(used)
                    attempt += 1
                    try await configuration.retryBackoff.pause(attempt, until: deadline, on: group, failing: error)
                    continue
                }
                guard error.code == .connectionLost || error.code == .connectionClosed || error.code == .commandTimeout else { throw error }
                throw await explain(error, on: used, until: deadline)
            }
        }
    }

    /// The master, waiting for one to be found when there is none.
    private func currentMaster(until deadline: ContinuousClock.Instant) async throws(RedisClientError) -> Master {
        if let found = master.current { return found }
        if stopped.load(ordering: .acquiring) { throw RedisClient.shutDown }
        discoveries.continuation.yield(nil)
        let timeout = RedisClientError.topologyUnavailable("no master of '\(configuration.masterName)' found in time")
        return try await master.wait(until: deadline, on: group.next(), timeout: timeout)
    }

    /// Forgets `used` as the master, unless another has replaced it already, and asks for the
    /// master to be found again.
    private func invalidate(_ used: Master) {
        master.update { current in
            if current?.client === used.client { current = nil }
        }
        discoveries.continuation.yield(nil)
    }

    /// The error for a command whose connection to `used` broke: `.failover` when the master
    /// turns out to have moved, else `error` itself.
    private func explain(_ error: RedisClientError, on used: Master, until deadline: ContinuousClock.Instant) async -> RedisClientError {
        invalidate(used)
        guard let next = try? await currentMaster(until: deadline), next.endpoint != used.endpoint else { return error }
        return .failover(from: used.endpoint, to: next.endpoint, error)
    }

    /// Finds the master whenever asked, one search at a time, and switches the pool when it
    /// moved. Failed searches are spaced by the retry backoff.
    private func discover() async {
        var live: Master?
        var failures = 0
        for await hint in discoveries.stream {
            do {
                let endpoint = try await findMaster(hint: hint)
                failures = 0
                if let live, live.endpoint == endpoint {
                    master.set(live)
                    continue
                }
                let adopted = Master(endpoint: endpoint, client: RedisClient(configuration: nodeConfiguration(endpoint), options: configuration.options, on: group))
                pools.continuation.yield(adopted.client)
                master.set(adopted)
                if let old = live {
                    old.client.shutdown(failing: .failover(from: old.endpoint, to: endpoint, .connectionClosed(reason: "the client moved to the new master")))
                }
                live = adopted
            } catch {
                failures += 1
                master.fail(error)
                try? await group.sleep(for: configuration.retryBackoff.delay(attempt: failures))
            }
        }
        live?.client.shutdown()
    }

    /// Asks the sentinels for the master (the one a `+switch-master` named first) and returns
    /// the first answer that `ROLE` confirms.
    private func findMaster(hint: RedisEndpoint?) async throws(RedisClientError) -> RedisEndpoint {
        if let hint, (try? await isMaster(hint)) == true { return hint }
        var problems: [String] = []
        for sentinel in sentinels.withLock({ $0 }) {
            do {
                guard let named = try await askSentinel(sentinel) else {
                    problems.append("\(sentinel) knows no master '\(configuration.masterName)'")
                    continue
                }
                guard try await isMaster(named) else {
                    problems.append("\(sentinel) named \(named), which is not a master (stale)")
                    continue
                }
                sentinels.withLock { order in
                    order.removeAll { $0 == sentinel }
                    order.insert(sentinel, at: 0)
                }
                return named
            } catch {
                problems.append("\(sentinel): \(error)")
            }
        }
        throw .topologyUnavailable("no master of '\(configuration.masterName)' found: \(problems.joined(separator: "; "))")
    }

    /// `SENTINEL get-master-addr-by-name` on `sentinel`; nil when it knows no such master.
    private func askSentinel(_ sentinel: RedisEndpoint) async throws(RedisClientError) -> RedisEndpoint? {
        let connection = try await RedisConnection.connect(configuration: configuration.sentinelConfiguration(sentinel), on: group)
        defer { connection.close() }
        let reply = try await connection.send(["SENTINEL", "get-master-addr-by-name", configuration.masterName])
        guard let answer = RedisSentinelReplies.masterAddress(reply) else {
            throw RedisReply.unexpected(reply, "SENTINEL get-master-addr-by-name")
        }
        return answer
    }

    /// Whether `endpoint` answers `ROLE` as a master.
    private func isMaster(_ endpoint: RedisEndpoint) async throws(RedisClientError) -> Bool {
        let connection = try await RedisConnection.connect(configuration: nodeConfiguration(endpoint), on: group)
        defer { connection.close() }
        return RedisSentinelReplies.role(try await connection.send(["ROLE"])) == "master"
    }

    private func nodeConfiguration(_ endpoint: RedisEndpoint) -> RedisConfiguration {
        var node = configuration.node
        node.endpoint = endpoint
        return node
    }

    /// Asks for the master to be found again whenever `watcher` hears of a failover of this
    /// master, naming the new one, and whenever its subscription is (re)established,
    /// since a switch may have been missed meanwhile.
    private func followSwitches(_ watcher: RedisSubscriber) async {
        for await event in watcher.events {
            switch event {
            case .message(channel: "+switch-master", let payload):
                guard let (name, endpoint) = RedisSentinelReplies.switchMaster(String(describing: payload)),
                      name == configuration.masterName
                else { continue }
                discoveries.continuation.yield(endpoint)
            case .message(channel: "+failover-state-wait-promotion", let payload), .message(channel: "+promoted-slave", let payload):
                guard let (name, endpoint) = RedisSentinelReplies.replicaEvent(String(describing: payload)),
                      name == configuration.masterName
                else { continue }
                discoveries.continuation.yield(endpoint)
            case .subscribed:
                discoveries.continuation.yield(nil)
            default:
                continue
            }
        }
    }
}
