import Foundation
import RESP
import Services
import Transport

/// The pipeline's Redis as the chaos tool reads it: a client of the topology the URL names (one
/// server, a Sentinel master or a Cluster) and the names the services give their keys there,
/// plain on one master and hash-tagged by shard on a Cluster (`PipelineRedisLayout`).
struct ChaosRedis: Sendable {
    let client: any RedisClientProtocol
    let keys: PipelineKeys

    /// `polling`: one connection per server with short limits, for reading Redis every fraction
    /// of a second during a fault, where a read stuck on a hung or dead server would leave a gap
    /// of many rounds.
    init(url: String, polling: Bool = false) throws {
        let options = RedisClient.Options(maxConnections: 1, waitTimeout: .seconds(1),
                                          reconnectBackoff: Backoff(initial: .milliseconds(100), maximum: .milliseconds(500)))
        let topology = try RedisTopology(url: url)
        keys = PipelineRedisLayout.keys(for: topology, shards: try Self.shards())
        switch topology {
        case .single(var configuration):
            guard polling else { client = RedisClient(configuration: configuration); return }
            Self.shortenLimits(&configuration)
            client = RedisClient(configuration: configuration, options: options)
        case .sentinel(var configuration):
            if polling {
                Self.shortenLimits(&configuration.node)
                configuration.options = options
            }
            client = RedisSentinelClient(configuration: configuration)
        case .cluster(var configuration):
            if polling {
                Self.shortenLimits(&configuration.node)
                configuration.options = options
            }
            client = RedisClusterClient(configuration: configuration)
        }
    }

    /// A second to connect and to answer, for polling.
    private static func shortenLimits(_ node: inout RedisConfiguration) {
        node.connectTimeout = .seconds(1)
        node.commandTimeout = .seconds(1)
    }

    /// Runs `body` with the client while the client runs.
    func withRunning<Result: Sendable>(_ body: (any RedisClientProtocol) async throws -> Result) async throws -> Result {
        try await client.withRunning { redis in try await body(redis) }
    }

    /// The shards of a Cluster's keys: `REDIS_SHARDS` as the services read it (their default when
    /// unset), so the tool run with the services' environment names the keys they write.
    private static func shards() throws -> Int {
        let environment = ProcessInfo.processInfo.environment.filter { $0.key == "REDIS_SHARDS" }
        return try ServiceConfiguration(environment: environment, arguments: []).redisShards
    }
}
