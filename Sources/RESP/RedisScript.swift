import Bytes

/// A Lua script run with EVALSHA, falling back to EVAL when the server does not have it cached
/// (after a restart or SCRIPT FLUSH), which also caches it again.
public struct RedisScript: Sendable, Hashable {
    /// The Lua source, sent with EVAL when the server does not know the digest.
    public let source: String
    /// The SHA-1 digest Redis names the script by.
    public let sha1: String

    /// A script for `source`, with its digest computed locally.
    public init(_ source: String) {
        self.source = source
        sha1 = SHA1.hexDigest(source.utf8)
    }
}

extension RedisCommandSender {
    /// Runs `script` with `keys` (KEYS[1]...) and `arguments` (ARGV[1]...) and returns its reply.
    /// - Throws: `.server` for a script error, other than NOSCRIPT, which is handled.
    public func eval(_ script: RedisScript, keys: [String] = [], arguments: [any RESPArgument] = []) async throws(RedisClientError) -> RESPValue {
        let tail: [any RESPArgument] = [keys.count] + keys + arguments
        do {
            return try await send(["EVALSHA", script.sha1] + tail)
        } catch where error.serverError?.prefix == "NOSCRIPT" {
            return try await send(["EVAL", script.source] + tail)
        }
    }
}
