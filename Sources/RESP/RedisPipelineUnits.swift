/// A pipeline cut into the pieces that run, are refused and are retried as wholes: a
/// `MULTI` ... `EXEC` block, or a single command.
///
/// Some error replies say the server refused a command without running it: a cluster
/// redirection (`MOVED`, `ASK`), a cluster that cannot serve the slot now (`TRYAGAIN`,
/// `CLUSTERDOWN`), a write sent to a replica (`READONLY`), a server still loading its data
/// (`LOADING`) or a replica cut off from its master (`MASTERDOWN`). Such a command is safe to
/// send again elsewhere or later; any other outcome, including a connection lost after the
/// command was written, may mean it ran, and is not retried.
enum RedisPipelineUnits {
    /// Error prefixes of commands the server did not run.
    static let refusals: Set<String> = ["MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "READONLY", "LOADING", "MASTERDOWN"]

    /// Whether the server refused the command with `error` without running it.
    static func isRefusal(_ error: RedisServerError) -> Bool { refusals.contains(error.prefix) }

    /// Whether a failed call provably did not run its command: refused by the server (see
    /// `refusals`) or never sent because no connection could be opened.
    static func didNotRun(_ error: RedisClientError) -> Bool {
        if let server = error.serverError, error.code == .server { return isRefusal(server) }
        return error.code == .connectFailed || error.code == .connectTimeout
    }

    /// The units of a pipeline whose commands are named `names` (upper case), in order: a
    /// `MULTI` starts a block that ends with its `EXEC` or `DISCARD` (or the pipeline's end).
    static func split(_ names: [String]) -> [Range<Int>] {
        var units: [Range<Int>] = []
        var index = 0
        while index < names.count {
            guard names[index] == "MULTI" else {
                units.append(index..<index + 1)
                index += 1
                continue
            }
            var end = index + 1
            while end < names.count, names[end] != "EXEC", names[end] != "DISCARD" { end += 1 }
            end = min(end + 1, names.count)
            units.append(index..<end)
            index = end
        }
        return units
    }

    /// The refusal that kept a unit from running, judged by its replies: a single command's
    /// refusal, or for a block, `MULTI`'s own, or one of its commands' when `EXEC` answered
    /// `EXECABORT` (the server then discarded the whole block). Nil when it may have run.
    static func refusal(_ replies: ArraySlice<RESPValue>) -> RedisServerError? {
        guard let first = replies.first else { return nil }
        if let refused = refusal(first) { return refused }
        guard replies.count > 1, case .error(let text) = replies[replies.endIndex - 1],
              RedisServerError(reply: String(describing: text)).prefix == "EXECABORT"
        else { return nil }
        return replies.dropFirst().dropLast().lazy.compactMap(refusal).first
    }

    private static func refusal(_ reply: RESPValue) -> RedisServerError? {
        guard case .error(let text) = reply else { return nil }
        let error = RedisServerError(reply: String(describing: text))
        return isRefusal(error) ? error : nil
    }
}
