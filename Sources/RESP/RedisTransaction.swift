/// Outcome of MULTI ... EXEC.
public enum RedisTransactionResult: Sendable, Hashable {
    /// EXEC ran the commands; one reply per command, error replies included as `.error`.
    case committed([RESPValue])
    /// A key named in WATCH changed before EXEC, so nothing ran (EXEC answered null).
    case aborted
}

extension RedisCommandSender {
    /// Runs `commands` as one MULTI/EXEC transaction, sent as a single pipeline so no other
    /// caller's command can land inside it.
    ///
    /// To make it conditional, WATCH keys first on the same connection, which must not be shared
    /// meanwhile: use `RedisClient.withConnection` (or a connection of your own).
    /// - Throws: `.server` with prefix `EXECABORT` when the server refused to queue a command.
    public func transaction(_ commands: [[any RESPArgument]]) async throws(RedisClientError) -> RedisTransactionResult {
        let replies = try await pipeline([["MULTI"]] + commands + [["EXEC"]])
        switch replies[replies.count - 1] {
        case .array(let results): return .committed(results)
        case .nullArray: return .aborted
        case .error(let text): throw .server(RedisServerError(reply: String(describing: text)))
        case let other: throw RedisReply.unexpected(other, "EXEC")
        }
    }

    /// WATCH: makes the next EXEC on this connection abort if any of `keys` changes.
    public func watch(_ keys: [String]) async throws(RedisClientError) {
        try RedisReply.ok(try await send(["WATCH"] + keys), "WATCH")
    }

    /// UNWATCH: forgets all watched keys of this connection.
    public func unwatch() async throws(RedisClientError) {
        try RedisReply.ok(try await send(["UNWATCH"]), "UNWATCH")
    }
}
