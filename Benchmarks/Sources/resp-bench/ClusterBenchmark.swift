import RESP
import Transport

/// SET / GET throughput and latency of `RedisClusterClient` against a live cluster, shaped like
/// `redis-benchmark --cluster -c CONNECTIONS [-P DEPTH] -t set,get` so the two can be run side by
/// side.
///
/// redis-benchmark gives each master an equal share of its connections, and every connection
/// sends batches of DEPTH commands on its node's one key (`ClusterBenchmarkKey`) with a 3-byte
/// value. Here CONNECTIONS tasks are shared out over the masters the same way, each sending
/// batches of DEPTH commands on its master's key through the client, which routes every command
/// by its key's slot as it would any other. Each node's pool may open as many connections as
/// redis-benchmark opens to that node, so both hold at most the same number; the pool may also
/// pipeline several tasks on one connection, as it does for any caller.
enum ClusterBenchmark {
    /// Prints a `ThroughputLine` for SET, then one for GET, each of about `requests` commands
    /// sent by `connections` tasks in batches of `depth`.
    static func run(url: String, connections: Int, depth: Int, requests: Int, group: EventLoopGroup) async throws {
        var configuration = try RedisClusterConfiguration(url: url)
        let keys = try await masterKeys(configuration, group)
        // redis-benchmark's connections to one node (it rounds the same way); each pool grows
        // on demand up to that.
        configuration.options = RedisClient.Options(maxConnections: (connections + keys.count - 1) / keys.count)
        try await RedisClusterClient(configuration: configuration, on: group).withRunning { client in
            let taskKeys = (0..<connections).map { keys[$0 % keys.count] }
            // Outside the clock, as redis-benchmark connects before it starts its own: every
            // task at once, so each pool opens the connections the load will use.
            _ = try await measure(client, taskKeys, depth: 1, batches: 1, group) { ["GET", $0] }
            for command in ["SET", "GET"] {
                let batches = max(1, requests / depth / connections)
                let (seconds, latencies) = try await measure(client, taskKeys, depth: depth, batches: batches, group) { key in
                    command == "SET" ? ["SET", key, "xxx"] : ["GET", key]
                }
                // What was sent: a whole number of batches per task, which may fall short of `requests`.
                ThroughputLine.print(command, requests: batches * depth * connections, seconds: seconds, latencies: latencies)
            }
        }
    }

    /// The key of each master, in the order of the slot map: redis-benchmark's key for its
    /// first slot. Read with a client of its own, since the measured client's pool size
    /// depends on how many masters there are.
    private static func masterKeys(_ configuration: RedisClusterConfiguration, _ group: EventLoopGroup) async throws -> [String] {
        let ranges = try await RedisClusterClient(configuration: configuration, on: group).withRunning { client in
            // Any command waits for the slot map; PING has no key to route.
            _ = try await client.send(["PING"])
            return client.slotRanges
        }
        // The ranges come in slot order, so a master's first range starts at its first slot.
        var seen: Set<RedisEndpoint> = []
        let firstSlots = ranges.filter { seen.insert($0.1).inserted }.map(\.0.lowerBound)
        guard !firstSlots.isEmpty else { throw BenchmarkFailure("the cluster's slot map names no master") }
        return try firstSlots.map(ClusterBenchmarkKey.key(forSlot:))
    }

    /// Runs one task per key in `taskKeys`, each sending `batches` batches of `depth` copies of
    /// `command(key)`; returns the elapsed time and every batch's latency.
    private static func measure(
        _ client: RedisClusterClient, _ taskKeys: [String], depth: Int, batches: Int, _ group: EventLoopGroup,
        _ command: (String) -> [any RESPArgument]
    ) async throws -> (elapsed: Double, latencies: [Duration]) {
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { tasks in
            for (index, key) in taskKeys.enumerated() {
                let arguments = command(key)
                let batch = [[any RESPArgument]](repeating: arguments, count: depth)
                // On the client's loops, spread over them as the pools spread their connections:
                // a reply read on its task's loop resumes the task without a thread hop (the pools
                // choose the connection, so only some are), and no other threads join in.
                tasks.addTask(executorPreference: group.loops[index % group.loops.count]) {
                    var latencies: [Duration] = []
                    latencies.reserveCapacity(batches)
                    for _ in 0..<batches {
                        let sent = clock.now
                        if depth == 1 {
                            _ = try await client.send(arguments)
                        } else {
                            // A pipeline answers error replies as values (`send` throws them): a
                            // batch the cluster refused must not count as done.
                            for case .error(let message) in try await client.pipeline(batch) {
                                throw BenchmarkFailure("a batch on \(key) was answered \(String(describing: message))")
                            }
                        }
                        latencies.append(clock.now - sent)
                    }
                    return latencies
                }
            }
            return try await tasks.reduce(into: []) { $0 += $1 }
        }
        return ((clock.now - start) / .seconds(1), latencies)
    }
}
