/// Something that runs Redis commands: a `RedisConnection` or a `RedisClient` pool. The typed
/// commands (`get`, `set`, `hgetall`, ...) are built on `send`.
public protocol RedisCommandSender: Sendable {
    /// Sends one command (name first) and returns its reply.
    /// - Throws: `RedisClientError.server` for an error reply, or a connection-level error.
    func send(_ arguments: [any RESPArgument]) async throws(RedisClientError) -> RESPValue

    /// Sends commands back to back, with nothing from other callers in between, and returns
    /// every reply in order, error replies included as `.error` values.
    func pipeline(_ commands: [[any RESPArgument]]) async throws(RedisClientError) -> [RESPValue]
}
