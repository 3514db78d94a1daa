import RESP
import Transport

/// SET / GET throughput and latency of the client against a live server, shaped like
/// `redis-benchmark -c CONNECTIONS [-P DEPTH] -t set,get` so the two can be run side by side.
enum ClientBenchmark {
    /// How load is put on the server.
    enum Shape {
        /// `connections` connections, each with one task sending batches of `depth` commands.
        case connections(Int, depth: Int)
        /// `tasks` tasks sharing one connection, each sending one command at a time.
        case sharedConnection(tasks: Int)
    }

    static func run(url: String, shape: Shape, requests: Int, group: EventLoopGroup) async throws {
        let configuration = try RedisConfiguration(url: url)
        for command in ["SET", "GET"] {
            let arguments: [any RESPArgument] = command == "SET" ? ["SET", "key:bench", "xxx"] : ["GET", "key:bench"]
            let (seconds, latencies) = try await measure(configuration, shape, requests, arguments, group)
            ThroughputLine.print(command, requests: requests, seconds: seconds, latencies: latencies)
        }
    }

    /// Runs `requests` commands in the given shape; returns the elapsed time and the latency of
    /// every batch (each command of a batch waits as long as the batch).
    private static func measure(
        _ configuration: RedisConfiguration, _ shape: Shape, _ requests: Int, _ arguments: [any RESPArgument], _ group: EventLoopGroup
    ) async throws -> (Double, [Duration]) {
        let (workers, depth, connectionCount) = switch shape {
        case .connections(let count, let depth): (count, depth, count)
        case .sharedConnection(let tasks): (tasks, 1, 1)
        }
        var connections: [RedisConnection] = []
        for _ in 0..<connectionCount { connections.append(try await RedisConnection.connect(configuration: configuration, on: group)) }
        defer { for connection in connections { connection.close() } }
        let batches = requests / depth / workers
        let batch = [[any RESPArgument]](repeating: arguments, count: depth)
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for worker in 0..<workers {
                let connection = connections[worker % connections.count]
                // On the connection's loop, as a latency-sensitive caller would run, to avoid a thread hop per reply.
                group.addTask(executorPreference: connection.eventLoop) {
                    var latencies: [Duration] = []
                    latencies.reserveCapacity(batches)
                    for _ in 0..<batches {
                        let sent = clock.now
                        if depth == 1 {
                            _ = try await connection.send(arguments)
                        } else {
                            _ = try await connection.pipeline(batch)
                        }
                        latencies.append(clock.now - sent)
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = (clock.now - start) / .seconds(1)
        return (elapsed * Double(requests) / Double(batches * depth * workers), latencies)
    }
}
