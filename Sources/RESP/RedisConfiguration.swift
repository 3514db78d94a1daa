import Bytes
/// Where and how to connect to a Redis server.
public struct RedisConfiguration: Sendable, Hashable {
    /// Server host: a DNS name or an IPv4/IPv6 literal.
    public var host: String
    /// Server TCP port.
    public var port: Int
    /// ACL user for `AUTH username password`; nil sends `AUTH password` (the `default` user).
    public var username: String?
    /// Password for AUTH; nil skips AUTH.
    public var password: String?
    /// Database selected with SELECT after connecting; 0 skips SELECT.
    public var database: Int
    /// Name set with CLIENT SETNAME after connecting, shown by CLIENT LIST.
    public var clientName: String?
    /// Limit on opening the connection plus its handshake.
    public var connectTimeout: Duration
    /// Limit on waiting for each reply.
    public var commandTimeout: Duration
    /// Whether connections send READONLY after connecting, so a cluster replica serves reads.
    var readOnlyReplica = false

    /// A configuration with the given fields; the defaults reach a local server without AUTH.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        clientName: String? = nil,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.clientName = clientName
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Parses `redis://[user:password@]host[:port][/db]`. The user may be empty
    /// (`redis://:secret@host` authenticates the default user), both parts may be
    /// percent-encoded, and an IPv6 host is written in brackets. Errors quote the URL with its
    /// password masked.
    public init(url: String) throws(RedisClientError) {
        let parts = try RedisURL(url, defaultPort: 6379)
        guard parts.scheme == "redis" else { throw .invalidURL("\(URLCredentials.redacted(url)) (expected redis://)") }
        guard parts.endpoints.count == 1 else { throw .invalidURL("\(URLCredentials.redacted(url)) (one host; redis-sentinel:// and redis-cluster:// take several)") }
        self.init(host: parts.endpoints[0].host, port: parts.endpoints[0].port, username: parts.username, password: parts.password)
        database = try RedisURL.database(parts.path, in: url)
    }

    /// The handshake commands sent right after connecting, each answered with `+OK`.
    var handshake: [[String]] {
        var commands: [[String]] = []
        if let password {
            commands.append(username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if database != 0 { commands.append(["SELECT", String(database)]) }
        if let clientName { commands.append(["CLIENT", "SETNAME", clientName]) }
        if readOnlyReplica { commands.append(["READONLY"]) }
        return commands
    }
}
