import Bytes
import Transport

/// Where the sentinels are, which master they watch, and how to reach the master once found.
public struct RedisSentinelConfiguration: Sendable, Hashable {
    /// Sentinels asked for the master, in order; one that answers moves to the front.
    public var sentinels: [RedisEndpoint]
    /// The name the sentinels monitor the master under (`sentinel monitor <name> ...`).
    public var masterName: String
    /// How the master's connections are opened: credentials, database, client name and
    /// timeouts. Its host and port are replaced by the master's.
    public var node: RedisConfiguration
    /// ACL user for the sentinels; nil with `sentinelPassword` nil uses `node`'s credentials.
    public var sentinelUsername: String?
    /// Password for the sentinels; nil with `sentinelUsername` nil uses `node`'s credentials.
    public var sentinelPassword: String?
    /// Pool options of the master's connections.
    public var options: RedisClient.Options
    /// Waits between attempts while no master can be found or reached, within each command's
    /// timeout.
    public var retryBackoff: Backoff

    /// A configuration; see each property.
    public init(
        sentinels: [RedisEndpoint],
        masterName: String,
        node: RedisConfiguration = RedisConfiguration(),
        sentinelUsername: String? = nil,
        sentinelPassword: String? = nil,
        options: RedisClient.Options = RedisClient.Options(),
        retryBackoff: Backoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(500))
    ) {
        self.sentinels = sentinels
        self.masterName = masterName
        self.node = node
        self.sentinelUsername = sentinelUsername
        self.sentinelPassword = sentinelPassword
        self.options = options
        self.retryBackoff = retryBackoff
    }

    /// Parses `redis-sentinel://[user:password@]host:port[,host:port...]/<master-name>[/db]`. The
    /// credentials are used for the data nodes and for the sentinels; sentinel ports default to
    /// 26379.
    public init(url: String) throws(RedisClientError) {
        let parts = try RedisURL(url, defaultPort: 26379)
        guard parts.scheme == "redis-sentinel" else { throw .invalidURL("\(URLCredentials.redacted(url)) (expected redis-sentinel://)") }
        let path = parts.path.split(separator: "/", omittingEmptySubsequences: false)
        guard let name = path.first, !name.isEmpty, path.count <= 2 else {
            throw .invalidURL("\(URLCredentials.redacted(url)) (expected /<master-name>[/db] after the sentinels)")
        }
        var node = RedisConfiguration(username: parts.username, password: parts.password)
        node.database = try RedisURL.database(path.count == 2 ? path[1] : "", in: url)
        self.init(sentinels: parts.endpoints, masterName: String(name), node: node)
    }

    /// How connections to `sentinel` are opened: its address, the sentinel credentials, and the
    /// node's client name and timeouts.
    public func sentinelConfiguration(_ sentinel: RedisEndpoint) -> RedisConfiguration {
        let ownCredentials = sentinelUsername != nil || sentinelPassword != nil
        return RedisConfiguration(
            host: sentinel.host, port: sentinel.port,
            username: ownCredentials ? sentinelUsername : node.username,
            password: ownCredentials ? sentinelPassword : node.password,
            clientName: node.clientName, connectTimeout: node.connectTimeout, commandTimeout: node.commandTimeout
        )
    }
}
