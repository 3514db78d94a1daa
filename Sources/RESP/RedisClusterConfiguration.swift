import Bytes
import Transport

/// Where to start finding a Redis Cluster, and how to reach its nodes.
public struct RedisClusterConfiguration: Sendable, Hashable {
    /// Which nodes serve commands that only read.
    public enum ReadPolicy: Sendable, Hashable {
        /// Every command goes to the slot's master: reads see every acknowledged write.
        case master
        /// Read-only commands go to the slot's replicas in turn (the master when it has none):
        /// more read capacity, but a read may miss writes not yet replicated.
        case replicas
    }

    /// Nodes asked for the slot map, in order, until one answers; the map then names the rest.
    public var seeds: [RedisEndpoint]
    /// How every node's connections are opened: credentials, client name and timeouts. Its
    /// host and port are replaced by the node's; a cluster has only database 0.
    public var node: RedisConfiguration
    /// Pool options of each node's connections.
    public var options: RedisClient.Options
    /// Where read-only commands go.
    public var readPolicy: ReadPolicy
    /// How often the slot map is read again when nothing else prompted it.
    public var refreshInterval: Duration
    /// Most `MOVED`/`ASK` redirections one command follows before failing.
    public var maxRedirections: Int
    /// Waits before retrying a command refused with `TRYAGAIN` or `CLUSTERDOWN`, or whose node
    /// could not be reached, within the command's timeout.
    public var retryBackoff: Backoff

    /// A configuration; see each property.
    public init(
        seeds: [RedisEndpoint],
        node: RedisConfiguration = RedisConfiguration(),
        options: RedisClient.Options = RedisClient.Options(),
        readPolicy: ReadPolicy = .master,
        refreshInterval: Duration = .seconds(30),
        maxRedirections: Int = 5,
        retryBackoff: Backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(500))
    ) {
        self.seeds = seeds
        self.node = node
        self.options = options
        self.readPolicy = readPolicy
        self.refreshInterval = refreshInterval
        self.maxRedirections = maxRedirections
        self.retryBackoff = retryBackoff
    }

    /// Parses `redis-cluster://[user:password@]host:port[,host:port...]`.
    public init(url: String) throws(RedisClientError) {
        let parts = try RedisURL(url, defaultPort: 6379)
        guard parts.scheme == "redis-cluster" else { throw .invalidURL("\(URLCredentials.redacted(url)) (expected redis-cluster://)") }
        guard parts.path.isEmpty else { throw .invalidURL("\(URLCredentials.redacted(url)) (a cluster has no database to select)") }
        self.init(seeds: parts.endpoints, node: RedisConfiguration(username: parts.username, password: parts.password))
    }

    /// How `endpoint`'s connections are opened.
    func nodeConfiguration(_ endpoint: RedisEndpoint) -> RedisConfiguration {
        var configuration = node
        configuration.endpoint = endpoint
        configuration.database = 0
        return configuration
    }
}
