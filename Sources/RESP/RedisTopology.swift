import Transport

/// How a deployment is reached: one server, a master found through Sentinel, or a Cluster, read
/// from one URL so a single setting (such as `REDIS_URL`) selects the mode.
///
/// | URL | Topology |
/// | --- | --- |
/// | `redis://[user:password@]host[:port][/db]` | one server |
/// | `redis-sentinel://[user:password@]host:port[,host:port...]/<master-name>[/db]` | Sentinel |
/// | `redis-cluster://[user:password@]host:port[,host:port...]` | Cluster |
///
/// ```swift
/// let redis = try RedisTopology(url: environment["REDIS_URL"] ?? "redis://127.0.0.1").makeClient()
/// ```
public enum RedisTopology: Sendable, Hashable {
    /// One server.
    case single(RedisConfiguration)
    /// A master and its replicas, watched by sentinels.
    case sentinel(RedisSentinelConfiguration)
    /// A Redis Cluster.
    case cluster(RedisClusterConfiguration)

    /// Parses a URL of any of the three forms.
    public init(url: String) throws(RedisClientError) {
        if url.hasPrefix("redis-sentinel://") {
            self = .sentinel(try RedisSentinelConfiguration(url: url))
        } else if url.hasPrefix("redis-cluster://") {
            self = .cluster(try RedisClusterConfiguration(url: url))
        } else {
            self = .single(try RedisConfiguration(url: url))
        }
    }

    /// A client for this topology, whose connections are served by `group`.
    public func makeClient(on group: EventLoopGroup = .shared) -> any RedisClientProtocol {
        switch self {
        case .single(let configuration): RedisClient(configuration: configuration, on: group)
        case .sentinel(let configuration): RedisSentinelClient(configuration: configuration, on: group)
        case .cluster(let configuration): RedisClusterClient(configuration: configuration, on: group)
        }
    }
}
