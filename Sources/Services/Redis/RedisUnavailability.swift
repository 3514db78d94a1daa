import RESP

/// Whether a Redis failure says that Redis is unavailable for now, rather than anything about
/// the data sent: unreachable, timing out, failing over, loading its data, refusing writes (OOM
/// under `maxmemory` with `noeviction`, READONLY on a demoted master, MISCONF after a failed
/// save), or short of replicas for `WAIT`. A message whose handling fails so is held and tried
/// again for as long as it takes, instead of spending its attempts towards the dead-letter queue:
/// a 60 s `maxmemory` refusal dead-lettered orders already answered 202.
enum RedisUnavailability {
    /// Error reply codes of a server that cannot take the command now but will.
    static let transientReplies: Set<String> = ["OOM", "READONLY", "LOADING", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MISCONF", "NOREPLICAS"]

    static func covers(_ error: any Error) -> Bool {
        if error is RedisPipelineStore.ReplicationShortfall { return true }
        guard let error = error as? RedisClientError else { return false }
        switch error.code {
        case .connectionClosed, .connectionLost, .connectFailed, .connectTimeout, .commandTimeout, .poolExhausted, .failover,
             .topologyUnavailable, .tooManyRedirections:
            return true
        case .server:
            return error.serverError.map { transientReplies.contains($0.prefix) } ?? false
        default:
            return false
        }
    }
}
