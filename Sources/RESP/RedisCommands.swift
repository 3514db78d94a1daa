import Bytes

/// Condition for SET.
public enum RedisSetCondition: Sendable {
    /// NX: only when the key does not exist.
    case ifNotExists
    /// XX: only when the key exists.
    case ifExists
}

/// Expiration for SET.
public enum RedisExpiration: Sendable, Hashable {
    /// EX seconds.
    case seconds(Int)
    /// PX milliseconds.
    case milliseconds(Int)
}

/// A key's remaining time to live, as TTL reports it.
public enum RedisTTL: Sendable, Hashable {
    /// The key does not exist (TTL -2).
    case keyMissing
    /// The key exists without an expiration (TTL -1).
    case noExpiration
    /// Seconds left.
    case seconds(Int64)
}

/// One page of a SCAN iteration.
public struct RedisScanPage: Sendable, Hashable {
    /// Cursor for the next call; 0 when the iteration is complete.
    public var cursor: UInt64
    /// Keys of this page (SCAN may return a key in more than one page of an iteration).
    public var keys: [ByteBuffer]
}

extension RedisCommandSender {
    /// PING: `PONG`, or `message` echoed back.
    public func ping(_ message: String? = nil) async throws(RedisClientError) -> String {
        let reply = try await send(message.map { ["PING", $0] } ?? ["PING"])
        return try RedisReply.string(reply, "PING")
    }

    /// GET: the value, or nil when the key does not exist.
    public func get(_ key: some RESPArgument) async throws(RedisClientError) -> ByteBuffer? {
        try RedisReply.optionalBulk(try await send(["GET", key]), "GET")
    }

    /// SET with optional NX/XX and EX/PX. Returns false when the condition was not met.
    @discardableResult
    public func set(
        _ key: some RESPArgument,
        to value: some RESPArgument,
        condition: RedisSetCondition? = nil,
        expiration: RedisExpiration? = nil
    ) async throws(RedisClientError) -> Bool {
        let reply = try await send(Self.setArguments(key, value, condition, expiration, get: false))
        switch reply {
        case .simpleString: return true
        case .nullBulkString: return false
        default: throw RedisReply.unexpected(reply, "SET")
        }
    }

    /// SET ... GET: sets the value and returns the previous one (nil when there was none).
    /// With a condition that is not met, the value is left as it was and still returned.
    public func setAndGet(
        _ key: some RESPArgument,
        to value: some RESPArgument,
        condition: RedisSetCondition? = nil,
        expiration: RedisExpiration? = nil
    ) async throws(RedisClientError) -> ByteBuffer? {
        try RedisReply.optionalBulk(try await send(Self.setArguments(key, value, condition, expiration, get: true)), "SET")
    }

    private static func setArguments(
        _ key: some RESPArgument, _ value: some RESPArgument,
        _ condition: RedisSetCondition?, _ expiration: RedisExpiration?, get: Bool
    ) -> [any RESPArgument] {
        var arguments: [any RESPArgument] = ["SET", key, value]
        switch condition {
        case .ifNotExists: arguments.append("NX")
        case .ifExists: arguments.append("XX")
        case nil: break
        }
        if get { arguments.append("GET") }
        switch expiration {
        case .seconds(let seconds): arguments += ["EX", seconds]
        case .milliseconds(let milliseconds): arguments += ["PX", milliseconds]
        case nil: break
        }
        return arguments
    }

    /// DEL: how many of `keys` existed and were removed.
    @discardableResult
    public func del(_ keys: [String]) async throws(RedisClientError) -> Int {
        try RedisReply.int(try await send(["DEL"] + keys), "DEL")
    }

    /// EXISTS: how many of `keys` exist (a key named twice counts twice).
    public func exists(_ keys: [String]) async throws(RedisClientError) -> Int {
        try RedisReply.int(try await send(["EXISTS"] + keys), "EXISTS")
    }

    /// EXPIRE: false when the key does not exist.
    @discardableResult
    public func expire(_ key: some RESPArgument, seconds: Int) async throws(RedisClientError) -> Bool {
        try RedisReply.int(try await send(["EXPIRE", key, seconds]), "EXPIRE") == 1
    }

    /// TTL of `key`.
    public func ttl(_ key: some RESPArgument) async throws(RedisClientError) -> RedisTTL {
        switch try RedisReply.int(try await send(["TTL", key]), "TTL") {
        case -2: .keyMissing
        case -1: .noExpiration
        case let seconds: .seconds(Int64(seconds))
        }
    }

    /// INCR: the value after incrementing by one.
    @discardableResult
    public func incr(_ key: some RESPArgument) async throws(RedisClientError) -> Int64 {
        try RedisReply.int64(try await send(["INCR", key]), "INCR")
    }

    /// INCRBY: the value after adding `amount`.
    @discardableResult
    public func incrby(_ key: some RESPArgument, _ amount: Int) async throws(RedisClientError) -> Int64 {
        try RedisReply.int64(try await send(["INCRBY", key, amount]), "INCRBY")
    }

    /// DECRBY: the value after subtracting `amount`.
    @discardableResult
    public func decrby(_ key: some RESPArgument, _ amount: Int) async throws(RedisClientError) -> Int64 {
        try RedisReply.int64(try await send(["DECRBY", key, amount]), "DECRBY")
    }

    /// HSET: how many fields were added (not counting updated ones).
    @discardableResult
    public func hset(_ key: some RESPArgument, fields: [(String, any RESPArgument)]) async throws(RedisClientError) -> Int {
        var arguments: [any RESPArgument] = ["HSET", key]
        for (field, value) in fields { arguments += [field, value] }
        return try RedisReply.int(try await send(arguments), "HSET")
    }

    /// HGET: the field's value, or nil when the key or field does not exist.
    public func hget(_ key: some RESPArgument, field: String) async throws(RedisClientError) -> ByteBuffer? {
        try RedisReply.optionalBulk(try await send(["HGET", key, field]), "HGET")
    }

    /// HGETALL: every field and value of the hash (empty when the key does not exist).
    public func hgetall(_ key: some RESPArgument) async throws(RedisClientError) -> [String: ByteBuffer] {
        let reply = try await send(["HGETALL", key])
        guard case .array(let items) = reply, items.count % 2 == 0 else { throw RedisReply.unexpected(reply, "HGETALL") }
        var hash: [String: ByteBuffer] = [:]
        var index = 0
        while index < items.count {
            guard case .bulkString(let field) = items[index], case .bulkString(let value) = items[index + 1] else {
                throw RedisReply.unexpected(reply, "HGETALL")
            }
            hash[String(describing: field)] = value
            index += 2
        }
        return hash
    }

    /// HDEL: how many of `fields` were removed.
    @discardableResult
    public func hdel(_ key: some RESPArgument, fields: [String]) async throws(RedisClientError) -> Int {
        try RedisReply.int(try await send(["HDEL", key] + fields), "HDEL")
    }

    /// MGET: each key's value in order, nil for missing keys.
    public func mget(_ keys: [String]) async throws(RedisClientError) -> [ByteBuffer?] {
        let reply = try await send(["MGET"] + keys)
        guard case .array(let items) = reply else { throw RedisReply.unexpected(reply, "MGET") }
        var values: [ByteBuffer?] = []
        for item in items { values.append(try RedisReply.optionalBulk(item, "MGET")) }
        return values
    }

    /// MSET: sets all pairs atomically.
    public func mset(_ pairs: [(String, any RESPArgument)]) async throws(RedisClientError) {
        var arguments: [any RESPArgument] = ["MSET"]
        for (key, value) in pairs { arguments += [key, value] }
        try RedisReply.ok(try await send(arguments), "MSET")
    }

    /// SCAN: one page of keys from `cursor` (start with 0, stop when the returned cursor is 0).
    public func scan(cursor: UInt64 = 0, match pattern: String? = nil, count: Int? = nil) async throws(RedisClientError) -> RedisScanPage {
        var arguments: [any RESPArgument] = ["SCAN", String(cursor)]
        if let pattern { arguments += ["MATCH", pattern] }
        if let count { arguments += ["COUNT", count] }
        let reply = try await send(arguments)
        guard case .array(let parts) = reply, parts.count == 2,
              case .bulkString(let cursorText) = parts[0], let next = UInt64(String(describing: cursorText)),
              case .array(let items) = parts[1]
        else { throw RedisReply.unexpected(reply, "SCAN") }
        var keys: [ByteBuffer] = []
        for item in items {
            guard case .bulkString(let key) = item else { throw RedisReply.unexpected(reply, "SCAN") }
            keys.append(key)
        }
        return RedisScanPage(cursor: next, keys: keys)
    }

    /// AUTH, with an ACL user name or for the default user.
    public func auth(username: String? = nil, password: String) async throws(RedisClientError) {
        try RedisReply.ok(try await send(username.map { ["AUTH", $0, password] } ?? ["AUTH", password]), "AUTH")
    }

    /// SELECT a database. On a pooled client prefer `RedisConfiguration.database`, which every
    /// connection selects when it opens.
    public func select(_ database: Int) async throws(RedisClientError) {
        try RedisReply.ok(try await send(["SELECT", database]), "SELECT")
    }

    /// CLIENT SETNAME.
    public func clientSetName(_ name: String) async throws(RedisClientError) {
        try RedisReply.ok(try await send(["CLIENT", "SETNAME", name]), "CLIENT SETNAME")
    }

    /// INFO, optionally for one section; the raw text.
    public func info(_ section: String? = nil) async throws(RedisClientError) -> String {
        try RedisReply.string(try await send(section.map { ["INFO", $0] } ?? ["INFO"]), "INFO")
    }
}

/// Conversions from replies to typed results, failing with `.unexpectedReply`.
enum RedisReply {
    static func unexpected(_ reply: RESPValue, _ command: String) -> RedisClientError {
        .unexpectedReply(command: command, reply: "\(reply)")
    }

    static func ok(_ reply: RESPValue, _ command: String) throws(RedisClientError) {
        guard reply == .simpleString(ByteBuffer(string: "OK")) else { throw unexpected(reply, command) }
    }

    static func string(_ reply: RESPValue, _ command: String) throws(RedisClientError) -> String {
        switch reply {
        case .simpleString(let text), .bulkString(let text): String(describing: text)
        default: throw unexpected(reply, command)
        }
    }

    static func optionalBulk(_ reply: RESPValue, _ command: String) throws(RedisClientError) -> ByteBuffer? {
        switch reply {
        case .bulkString(let bytes): bytes
        case .nullBulkString: nil
        default: throw unexpected(reply, command)
        }
    }

    static func int64(_ reply: RESPValue, _ command: String) throws(RedisClientError) -> Int64 {
        guard case .integer(let number) = reply else { throw unexpected(reply, command) }
        return number
    }

    static func int(_ reply: RESPValue, _ command: String) throws(RedisClientError) -> Int {
        Int(try int64(reply, command))
    }
}
