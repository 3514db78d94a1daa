import Synchronization
import Transport

/// A client of a Redis Cluster: each command goes to the node serving its keys' slot, through
/// that node's own pool (with automatic pipelining, as `RedisClient`).
///
/// - Slots: CRC16 of the key or of its `{hash tag}`, mod 16384. The slot map is read from
///   `CLUSTER SHARDS` (`CLUSTER SLOTS` on servers before 7), and read again after a `MOVED`,
///   after a connection is lost, and every `refreshInterval`. Where a command's keys are is read
///   from the server's `COMMAND` table, so any command the server knows is routed.
/// - Redirections: `MOVED` sends the command to the named node (and refreshes the map); `ASK`
///   sends `ASKING` and the command to the named node once, leaving the map as it is. At most
///   `maxRedirections` are followed.
/// - Retries: a command the cluster refused without running it (`TRYAGAIN`, `CLUSTERDOWN`,
///   `READONLY`, `LOADING`, `MASTERDOWN`) or whose node could not be reached is sent again after
///   a backoff, within its command timeout. A command in flight when its connection breaks may
///   have run, and fails.
/// - Multi-key commands, scripts (`EVAL`/`EVALSHA`/`FCALL` keys) and `MULTI` blocks whose keys
///   lie in more than one slot are refused before anything is sent, with `.crossSlot` naming
///   the keys.
/// - A pipeline is split by node, sent to every node at once, and its replies come back in the
///   order of the commands.
///
/// Its work (the nodes' pools and the map's refreshes) runs in `run()`.
public final class RedisClusterClient: RedisClientProtocol, Sendable {
    /// The map and what is derived from it for routing; a class, so every command takes it
    /// with one reference count rather than one per array.
    final class Topology: Sendable {
        let map: RedisClusterSlotMap
        let commands: RedisCommandTable
        /// The pool of each slot's master (nil where no shard serves the slot).
        let masters: [RedisClient?]
        /// The pools of each shard's replicas, by shard index, when reads may go to replicas.
        let replicas: [[RedisClient]]
        /// Every master's pool, for commands without keys.
        let anyMaster: [RedisClient]

        init(map: RedisClusterSlotMap, commands: RedisCommandTable, masters: [RedisClient?], replicas: [[RedisClient]], anyMaster: [RedisClient]) {
            self.map = map
            self.commands = commands
            self.masters = masters
            self.replicas = replicas
            self.anyMaster = anyMaster
        }
    }

    /// Where a command or a `MULTI` block goes next.
    private enum Target {
        /// By the slot map: `slot`'s node, or any master when the unit has no keys.
        case map(slot: Int?, readOnly: Bool)
        /// To a node named by `MOVED`.
        case moved(RedisEndpoint)
        /// To a node named by `ASK`, preceded by `ASKING`.
        case ask(RedisEndpoint)
    }

    /// Part of a pipeline waiting to be sent: a command or a `MULTI` block.
    private struct Pending {
        let unit: Range<Int>
        var target: Target
        var redirections = 0
    }

    /// Where the cluster is and how to reach its nodes.
    public let configuration: RedisClusterConfiguration
    private let group: EventLoopGroup
    private let topology = AwaitedValue<Topology>()
    /// Every node's pool, by address, opened when first needed.
    private let nodes = Mutex<[RedisEndpoint: RedisClient]>([:])
    /// Requests to read the slot map again; coalesced.
    private let refreshes = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    /// Pools for `run()` to serve.
    private let pools = AsyncStream<RedisClient>.makeStream()
    /// Turns for commands without keys and for the replicas of a slot.
    private let turn = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    /// A client for `configuration`, whose connections are served by `group`. Nothing connects
    /// before `run()`.
    public init(configuration: RedisClusterConfiguration, on group: EventLoopGroup = .shared) {
        precondition(!configuration.seeds.isEmpty, "a Cluster client needs at least one node to start from")
        self.configuration = configuration
        self.group = group
    }

    /// A client for a `redis-cluster://` URL.
    public convenience init(url: String, on group: EventLoopGroup = .shared) throws(RedisClientError) {
        self.init(configuration: try RedisClusterConfiguration(url: url), on: group)
    }

    /// Reads the slot map, keeps it fresh and serves the nodes' connections until cancelled; then
    /// closes everything, and commands fail with `.connectionClosed`.
    public func run() async {
        await withDiscardingTaskGroup { tasks in
            tasks.addTask { await self.refreshWhenAsked() }
            tasks.addTask { await self.refreshPeriodically() }
            refreshes.continuation.yield()
            for await pool in pools.stream {
                tasks.addTask { await pool.run() }
            }
        }
        stopped.store(true, ordering: .releasing)
        topology.set(nil)
        topology.fail(RedisClient.shutDown)
    }

    /// The slot map in use, as `(first slot, last slot, master)` ranges, for monitoring.
    public var slotRanges: [(ClosedRange<Int>, RedisEndpoint)] {
        guard let map = topology.current?.map else { return [] }
        var ranges: [(ClosedRange<Int>, RedisEndpoint)] = []
        var slot = 0
        while slot < RedisHashSlot.count {
            guard let shard = map.shard(serving: slot) else {
                slot += 1
                continue
            }
            var end = slot
            while end + 1 < RedisHashSlot.count, map.shard(serving: end + 1) == shard { end += 1 }
            ranges.append((slot...end, shard.master))
            slot = end + 1
        }
        return ranges
    }

    /// Sends one command to the node serving its keys; see the type's notes.
    public func send(_ arguments: [any RESPArgument]) async throws(RedisClientError) -> RESPValue {
        let deadline = ContinuousClock.now + configuration.node.commandTimeout
        let current = try await currentTopology(until: deadline)
        var router = RedisClusterRouter(current.commands)
        var part = Pending(unit: 0..<1, target: .map(slot: nil, readOnly: false))
        if case .slot(let slot, let readOnly) = router.place(arguments).placement {
            part.target = .map(slot: slot, readOnly: readOnly)
        } else {
            part.target = try await target(of: [arguments][...], in: current)
        }
        // The common case: the map is right and the node answers.
        var failure: RedisClientError?
        do {
            return try await pool(for: part.target, in: current).send(arguments)
        } catch {
            guard RedisPipelineUnits.didNotRun(error) || error.code == .topologyUnavailable else {
                if error.code == .connectionLost || error.code == .connectionClosed { requestRefresh() }
                throw error
            }
            failure = error
            if let refusal = error.serverError {
                if try !reroute(&part, after: refusal) { failure = nil }
            } else {
                requestRefresh()
            }
        }
        let replies = try await execute([arguments], [part], after: failure, until: deadline)
        if case .error(let text) = replies[0] { throw .server(RedisServerError(reply: String(describing: text))) }
        return replies[0]
    }

    /// Sends commands as one pipeline: split by node, sent to all nodes at once, replies in the
    /// order of the commands (error replies as values). A `MULTI` block stays whole and must
    /// keep to one slot; one that does not refuses the whole pipeline before anything is sent.
    public func pipeline(_ commands: [[any RESPArgument]]) async throws(RedisClientError) -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        guard commands.allSatisfy({ !$0.isEmpty }) else { throw .invalidCommand(.emptyCommand) }
        let deadline = ContinuousClock.now + configuration.node.commandTimeout
        let current = try await currentTopology(until: deadline)
        // The common case, without MULTI: every command's node by the map is the same one.
        if let pool = onePool(commands, in: current) {
            let replies: [RESPValue]
            do {
                replies = try await pool.pipeline(commands)
            } catch {
                guard RedisPipelineUnits.didNotRun(error) else {
                    if error.code == .connectionLost || error.code == .connectionClosed { requestRefresh() }
                    throw error
                }
                requestRefresh()
                return try await execute(commands, try await parts(commands, in: current), after: error, until: deadline)
            }
            if !replies.contains(where: { if case .error = $0 { true } else { false } }) { return replies }
            return try await settle(commands, try await parts(commands, in: current), replies, until: deadline)
        }
        return try await execute(commands, try await parts(commands, in: current), after: nil, until: deadline)
    }

    /// The units of a pipeline, each pointed at its node by the map.
    /// - Throws: `.crossSlot` for a unit whose keys lie in more than one slot.
    private func parts(_ commands: [[any RESPArgument]], in current: Topology) async throws(RedisClientError) -> [Pending] {
        var pending: [Pending] = []
        for unit in RedisPipelineUnits.split(commands.map(RedisArgumentBytes.commandName)) {
            pending.append(Pending(unit: unit, target: try await target(of: commands[unit], in: current)))
        }
        return pending
    }

    /// The pool every one of `commands` goes to by the map, without suspending; nil when they
    /// go to several, when one holds a `MULTI`, or when a command's node is not known (its
    /// keys, or the node of its slot): `parts` then routes them, or says why it cannot.
    private func onePool(_ commands: [[any RESPArgument]], in current: Topology) -> RedisClient? {
        var router = RedisClusterRouter(current.commands)
        var shared: RedisClient?
        for arguments in commands {
            let (name, placement) = router.place(arguments)
            guard name != "MULTI", case .slot(let slot, let readOnly) = placement,
                  let pool = try? pool(for: .map(slot: slot, readOnly: readOnly), in: current)
            else { return nil }
            if let shared, shared !== pool { return nil }
            shared = pool
        }
        return shared
    }

    /// A subscriber for pub/sub (messages published on any node reach every node's
    /// subscribers); each of its connections goes to one of the masters in turn.
    public func makeSubscriber() -> RedisSubscriber {
        RedisSubscriber(configuration: configuration.node, backoff: configuration.retryBackoff, pingInterval: .seconds(30), on: group) {
            () throws(RedisClientError) in
            let current = try await self.currentTopology(until: .now + self.configuration.node.connectTimeout)
            let masters = current.map.shards.map(\.master)
            guard !masters.isEmpty else { throw .topologyUnavailable("the cluster's slot map names no master") }
            return self.configuration.nodeConfiguration(masters[self.turn.add(1, ordering: .relaxed).oldValue % masters.count])
        }
    }

    /// Sends `pending` parts of `commands` until each has an answer that is not a refusal
    /// (following redirections, retrying refusals after a backoff) or the deadline passes, and
    /// returns every reply in order. `failure` is why a previous attempt did not run.
    private func execute(
        _ commands: [[any RESPArgument]], _ pending: [Pending], replies known: [RESPValue?]? = nil,
        after failure: RedisClientError?, until deadline: ContinuousClock.Instant
    ) async throws(RedisClientError) -> [RESPValue] {
        var replies = known ?? [RESPValue?](repeating: nil, count: commands.count)
        var pending = pending
        var attempt = 0
        var lastFailure = failure
        if let failure {
            attempt = 1
            try await configuration.retryBackoff.pause(attempt, until: deadline, on: group, failing: failure)
        }
        while !pending.isEmpty {
            let current = try await currentTopology(until: deadline)
            var batches: [(RedisClient, [Int])] = []
            var next: [Pending] = []
            var mustPause = false
            for (index, part) in pending.enumerated() {
                let pool: RedisClient
                do {
                    pool = try self.pool(for: part.target, in: current)
                } catch {
                    // No node serves the slot now (a failover under way): wait for the map to cover it.
                    lastFailure = error
                    mustPause = true
                    next.append(part)
                    continue
                }
                if let batch = batches.firstIndex(where: { $0.0 === pool }) {
                    batches[batch].1.append(index)
                } else {
                    batches.append((pool, [index]))
                }
            }
            let outcomes = await send(batches, of: pending, commands)
            for (batch, outcome) in zip(batches, outcomes) {
                let answers: [RESPValue]
                switch outcome {
                case .success(let values):
                    answers = values
                case .failure(let error):
                    guard RedisPipelineUnits.didNotRun(error) else {
                        if error.code == .connectionLost || error.code == .connectionClosed { requestRefresh() }
                        throw error
                    }
                    // Never sent: the node is gone or unreachable; the map is read again.
                    requestRefresh()
                    lastFailure = error
                    mustPause = true
                    for index in batch.1 { next.append(Pending(unit: pending[index].unit, target: .map(slot: slot(of: pending[index].target), readOnly: false))) }
                    continue
                }
                let (refused, refusal) = try absorb(answers[...], of: batch.1.map { pending[$0] }, into: &replies)
                next += refused
                if let refusal {
                    lastFailure = refusal
                    mustPause = true
                }
            }
            pending = next
            guard !pending.isEmpty else { break }
            if mustPause {
                attempt += 1
                // Out of time: refusals stay in the replies as error values; a failure to reach a node is thrown.
                guard ContinuousClock.now + configuration.retryBackoff.delay(attempt: attempt) < deadline else {
                    if let lastFailure, lastFailure.code != .server { throw lastFailure }
                    break
                }
                try await configuration.retryBackoff.pause(attempt, until: deadline, on: group, failing: lastFailure ?? .cancelled)
            }
        }
        guard replies.allSatisfy({ $0 != nil }) else {
            throw lastFailure ?? .topologyUnavailable("no node answered within the command timeout")
        }
        return replies.map { $0! }
    }

    /// Settles a pipeline sent whole to one node, whose `replies` hold errors: the parts refused
    /// without running are sent again where the refusals say.
    private func settle(
        _ commands: [[any RESPArgument]], _ pending: [Pending], _ answers: [RESPValue], until deadline: ContinuousClock.Instant
    ) async throws(RedisClientError) -> [RESPValue] {
        var replies = [RESPValue?](repeating: nil, count: commands.count)
        let (refused, refusal) = try absorb(answers[...], of: pending, into: &replies)
        guard !refused.isEmpty else { return answers }
        return try await execute(commands, refused, replies: replies, after: refusal, until: deadline)
    }

    /// Records the `answers` of `parts` (sent together, in order, with `ASKING` before a part
    /// redirected by `ASK`) into `replies`. Returns the parts refused without running, pointed
    /// where they go next, and a refusal when some must wait before they are sent again.
    private func absorb(
        _ answers: ArraySlice<RESPValue>, of parts: [Pending], into replies: inout [RESPValue?]
    ) throws(RedisClientError) -> (refused: [Pending], pause: RedisClientError?) {
        var refused: [Pending] = []
        var pause: RedisClientError?
        var offset = answers.startIndex
        for var part in parts {
            if case .ask = part.target { offset += 1 }
            let unitReplies = answers[offset..<(offset + part.unit.count)]
            offset += part.unit.count
            for (position, reply) in zip(part.unit, unitReplies) { replies[position] = reply }
            guard let refusal = RedisPipelineUnits.refusal(unitReplies) else { continue }
            if try reroute(&part, after: refusal) { pause = .server(refusal) }
            refused.append(part)
        }
        return (refused, pause)
    }

    /// Points `part` where `refusal` says it should go next: the node a redirection names
    /// (refreshing the map after `MOVED`), else the map's node after a pause. Returns whether
    /// it must wait first.
    /// - Throws: `.tooManyRedirections` past the limit.
    private func reroute(_ part: inout Pending, after refusal: RedisServerError) throws(RedisClientError) -> Bool {
        guard let redirection = refusal.redirection else {
            if refusal.prefix == "READONLY" { requestRefresh() }
            part.target = .map(slot: slot(of: part.target), readOnly: false)
            return true
        }
        part.redirections += 1
        guard part.redirections <= configuration.maxRedirections else { throw .tooManyRedirections(part.redirections, last: refusal) }
        let endpoint = RedisEndpoint(host: redirection.host.isEmpty ? configuration.seeds[0].host : redirection.host, port: redirection.port)
        switch redirection.kind {
        case .moved:
            requestRefresh()
            part.target = .moved(endpoint)
            return false
        case .ask where part.unit.count == 1:
            part.target = .ask(endpoint)
            return false
        case .ask:
            // A block under migration: ASKING covers one command only, so wait for the slot to move.
            part.target = .map(slot: redirection.slot, readOnly: false)
            return true
        }
    }

    /// Sends each batch to its pool as one pipeline (with `ASKING` before a redirected
    /// command), all batches at once; returns each batch's replies or failure, in order.
    private func send(_ batches: [(RedisClient, [Int])], of pending: [Pending], _ commands: [[any RESPArgument]]) async -> [Result<[RESPValue], RedisClientError>] {
        let requests: [(RedisClient, [[any RESPArgument]])] = batches.map { pool, indices in
            var batch: [[any RESPArgument]] = []
            for index in indices {
                if case .ask = pending[index].target { batch.append(["ASKING"]) }
                batch += commands[pending[index].unit]
            }
            return (pool, batch)
        }
        if requests.count == 1 {
            return [await Self.result { () throws(RedisClientError) in try await requests[0].0.pipeline(requests[0].1) }]
        }
        return await withTaskGroup(of: (Int, Result<[RESPValue], RedisClientError>).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, await Self.result { () throws(RedisClientError) in try await request.0.pipeline(request.1) }) }
            }
            var results = [Result<[RESPValue], RedisClientError>](repeating: .failure(.cancelled), count: requests.count)
            for await (index, result) in group { results[index] = result }
            return results
        }
    }

    private static func result(_ body: () async throws(RedisClientError) -> [RESPValue]) async -> Result<[RESPValue], RedisClientError> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    /// Where `commands` (one command, or a `MULTI` block) go by the map.
    /// - Throws: `.crossSlot` when their keys lie in more than one slot.
    private func target(of commands: ArraySlice<[any RESPArgument]>, in current: Topology) async throws(RedisClientError) -> Target {
        var router = RedisClusterRouter(current.commands)
        var slot: Int?
        var readOnly = true
        for arguments in commands {
            var (name, placement) = router.place(arguments)
            if case .askServer(let commandReadOnly) = placement {
                let keys = try await askKeys(arguments, in: current).map { arguments[$0] }
                placement = RedisClusterRouter.placement(keys, readOnly: commandReadOnly)
            }
            guard case .slot(let commandSlot, let commandReadOnly) = placement, slot == nil || commandSlot == nil || commandSlot == slot else {
                throw .crossSlot(command: commands.count == 1 ? name : "the MULTI block", keys: await keyNames(commands, in: current))
            }
            readOnly = readOnly && commandReadOnly
            slot = slot ?? commandSlot
        }
        return .map(slot: slot, readOnly: readOnly && commands.count == 1)
    }

    /// Every key of `commands`, in order, for an error that names them.
    private func keyNames(_ commands: ArraySlice<[any RESPArgument]>, in current: Topology) async -> [String] {
        var names: [String] = []
        for arguments in commands {
            let name = RedisArgumentBytes.commandName(arguments)
            guard let entry = current.commands.entry(name, subcommand: { arguments.count > 1 ? RedisArgumentBytes.text(arguments[1]) : nil }) else { continue }
            var positions = RedisCommandTable.keyPositions(entry, count: arguments.count) { RedisArgumentBytes.text(arguments[$0]) }
            if positions == nil { positions = try? await askKeys(arguments, in: current) }
            names += (positions ?? []).map { RedisArgumentBytes.text(arguments[$0]) }
        }
        return names
    }

    /// `COMMAND GETKEYS` for a command whose keys the table cannot place.
    private func askKeys(_ arguments: [any RESPArgument], in current: Topology) async throws(RedisClientError) -> [Int] {
        guard let pool = current.anyMaster.first else { throw .topologyUnavailable("the cluster's slot map names no master") }
        let reply: RESPValue
        do {
            reply = try await pool.send(["COMMAND", "GETKEYS"] + arguments)
        } catch where error.code == .server {
            // The server finds no keys in it (or does not know the command): any node will answer.
            return []
        }
        guard case .array(let names) = reply else { throw RedisReply.unexpected(reply, "COMMAND GETKEYS") }
        // GETKEYS answers the keys themselves; their positions are those of the first equal arguments.
        let texts = arguments.map(RedisArgumentBytes.text)
        return names.compactMap { name in name.string.flatMap { key in texts.indices.dropFirst().first { texts[$0] == key } } }
    }

    /// The slot a target was heading for, to route it by the map again.
    private func slot(of target: Target) -> Int? {
        if case .map(let slot, _) = target { return slot }
        return nil
    }

    /// The pool `target` goes to.
    private func pool(for target: Target, in current: Topology) throws(RedisClientError) -> RedisClient {
        switch target {
        case .moved(let endpoint), .ask(let endpoint):
            return pool(at: endpoint)
        case .map(nil, _):
            guard !current.anyMaster.isEmpty else { throw .topologyUnavailable("the cluster's slot map names no master") }
            return current.anyMaster[turn.add(1, ordering: .relaxed).oldValue % current.anyMaster.count]
        case .map(let slot?, let readOnly):
            guard let master = current.masters[slot] else {
                requestRefresh()
                throw .topologyUnavailable("no node serves slot \(slot) in the cluster's slot map")
            }
            if readOnly, configuration.readPolicy == .replicas {
                let replicas = current.replicas[Int(current.map.slots[slot])]
                if !replicas.isEmpty { return replicas[turn.add(1, ordering: .relaxed).oldValue % replicas.count] }
            }
            return master
        }
    }

    /// The pool of the node at `endpoint`, opened (and handed to `run()`) when first needed.
    private func pool(at endpoint: RedisEndpoint) -> RedisClient {
        let (pool, isNew) = nodes.withLock { nodes -> (RedisClient, Bool) in
            if let pool = nodes[endpoint] { return (pool, false) }
            var node = configuration.nodeConfiguration(endpoint)
            node.readOnlyReplica = configuration.readPolicy == .replicas
            let pool = RedisClient(configuration: node, options: configuration.options, on: group)
            nodes[endpoint] = pool
            return (pool, true)
        }
        if isNew { pools.continuation.yield(pool) }
        return pool
    }

    /// The topology, waiting for the slot map when there is none yet (or again).
    private func currentTopology(until deadline: ContinuousClock.Instant) async throws(RedisClientError) -> Topology {
        if let current = topology.current { return current }
        var attempt = 0
        while true {
            if stopped.load(ordering: .acquiring) { throw RedisClient.shutDown }
            requestRefresh()
            do {
                return try await topology.wait(until: deadline, on: group.next(), timeout: .topologyUnavailable("no slot map read within the command timeout"))
            } catch where error.code == .topologyUnavailable && ContinuousClock.now < deadline {
                attempt += 1
                try await configuration.retryBackoff.pause(attempt, until: deadline, on: group, failing: error)
            }
        }
    }

    private func requestRefresh() {
        refreshes.continuation.yield()
    }

    /// Reads the slot map whenever asked, one read at a time; failed reads are spaced by the
    /// retry backoff, and reads at least by its initial delay.
    private func refreshWhenAsked() async {
        var failures = 0
        var commands: RedisCommandTable?
        for await _ in refreshes.stream {
            do {
                let (map, table) = try await readMap(commands: commands)
                commands = table
                topology.set(makeTopology(map, table))
                failures = 0
            } catch {
                failures += 1
                if topology.current == nil { topology.fail(error) }
            }
            try? await group.sleep(for: failures == 0 ? configuration.retryBackoff.initial : configuration.retryBackoff.delay(attempt: failures))
        }
    }

    private func refreshPeriodically() async {
        while (try? await group.sleep(for: configuration.refreshInterval)) != nil {
            requestRefresh()
        }
    }

    private func makeTopology(_ map: RedisClusterSlotMap, _ commands: RedisCommandTable) -> Topology {
        let masterPools = map.shards.map { pool(at: $0.master) }
        let replicaPools = configuration.readPolicy == .replicas ? map.shards.map { $0.replicas.map(pool(at:)) } : map.shards.map { _ in [] }
        let masters = map.slots.map { $0 < 0 ? nil : masterPools[Int($0)] }
        return Topology(map: map, commands: commands, masters: masters, replicas: replicaPools, anyMaster: masterPools)
    }

    /// Asks the nodes of the current map (masters first), then the seeds, for the slot map, and
    /// the first that answers for the command table when there is none yet.
    private func readMap(commands: RedisCommandTable?) async throws(RedisClientError) -> (RedisClusterSlotMap, RedisCommandTable) {
        var candidates = topology.current?.map.nodes ?? []
        for seed in configuration.seeds where !candidates.contains(seed) { candidates.append(seed) }
        var problems: [String] = []
        for endpoint in candidates {
            do {
                let connection = try await RedisConnection.connect(configuration: configuration.nodeConfiguration(endpoint), on: group)
                defer { connection.close() }
                let map = try await readMap(on: connection, endpoint)
                if let commands { return (map, commands) }
                let reply = try await connection.send(["COMMAND"])
                guard let table = RedisCommandTable(reply) else { throw RedisReply.unexpected(reply, "COMMAND") }
                return (map, table)
            } catch {
                problems.append("\(endpoint): \(error)")
            }
        }
        throw .topologyUnavailable("no node answered with the cluster's slot map: \(problems.joined(separator: "; "))")
    }

    private func readMap(on connection: RedisConnection, _ endpoint: RedisEndpoint) async throws(RedisClientError) -> RedisClusterSlotMap {
        do throws(RedisClientError) {
            let reply = try await connection.send(["CLUSTER", "SHARDS"])
            guard let map = RedisClusterSlotMap(shards: reply, answeredBy: endpoint) else { throw RedisReply.unexpected(reply, "CLUSTER SHARDS") }
            return map
        } catch where error.serverError?.message.lowercased().contains("unknown subcommand") == true {
            let reply = try await connection.send(["CLUSTER", "SLOTS"])
            guard let map = RedisClusterSlotMap(slots: reply, answeredBy: endpoint) else { throw RedisReply.unexpected(reply, "CLUSTER SLOTS") }
            return map
        }
    }
}
