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
        self.init()
        let shown = URLCredentials.redacted(url)
        guard url.hasPrefix("redis://") else { throw .invalidURL("\(shown) (expected redis://)") }
        var rest = Substring(url.dropFirst("redis://".count))
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let user: Substring
            let secret: Substring?
            if let colon = userInfo.firstIndex(of: ":") {
                user = userInfo[..<colon]
                secret = userInfo[userInfo.index(after: colon)...]
            } else {
                user = userInfo
                secret = nil
            }
            do {
                let decodedUser = try PercentEncoding.decode(user)
                username = decodedUser.isEmpty ? nil : decodedUser
                password = try secret.map { secret throws(PercentEncoding.DecodingError) in try PercentEncoding.decode(secret) }
            } catch {
                throw .invalidURL("\(shown) (bad percent-encoding)")
            }
        }
        let authority: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else { throw .invalidURL("\(shown) (database must be a number)") }
                database = number
            }
        } else {
            authority = rest
        }
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("\(shown) (unclosed [)") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw .invalidURL(shown) }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
            portText = nil
        }
        guard !host.isEmpty else { throw .invalidURL("\(shown) (no host)") }
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else { throw .invalidURL("\(shown) (bad port)") }
            port = number
        }
    }

    /// The handshake commands sent right after connecting, each answered with `+OK`.
    var handshake: [[String]] {
        var commands: [[String]] = []
        if let password {
            commands.append(username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if database != 0 { commands.append(["SELECT", String(database)]) }
        if let clientName { commands.append(["CLIENT", "SETNAME", clientName]) }
        return commands
    }
}
