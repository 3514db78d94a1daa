import RESP

/// How the pipeline lays out and protects its data on the Redis topology `REDIS_URL` names.
/// Public for tools that read the pipeline's keys, so they name them as the services do.
public enum PipelineRedisLayout {
    /// On a Cluster, keys in `shards` hash-tagged shards (every script's keys in one slot); on
    /// one master (alone or Sentinel-managed), the plain names.
    public static func keys(for topology: RedisTopology, shards: Int) -> PipelineKeys {
        guard case .cluster = topology else { return .unsharded }
        return .sharded(count: shards) { RedisHashSlot.slot(of: $0) }
    }

    /// `minReplicas` when set; else 1 when the master answering has a connected replica, since
    /// a write it acknowledged alone can vanish when a replica is promoted, and 0 when it has none
    /// (a `WAIT` for a replica that does not exist would refuse every order).
    static func durability(minReplicas: Int?, redis: any RedisCommandSender, logger: JSONLogger) async -> RedisPipelineStore.Durability {
        if let minReplicas { return RedisPipelineStore.Durability(minReplicas: minReplicas) }
        do {
            let replicas = connectedReplicas(inInfo: try await redis.info("replication")) ?? 0
            return replicas > 0 ? RedisPipelineStore.Durability(minReplicas: 1) : .masterOnly
        } catch {
            logger.warning("could not read the master's replicas; writes wait for none", ["error": .string("\(error)")])
            return .masterOnly
        }
    }

    /// `connected_slaves` of an `INFO replication` reply.
    static func connectedReplicas(inInfo info: String) -> Int? {
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("connected_slaves:") {
            return Int(line.dropFirst("connected_slaves:".count))
        }
        return nil
    }
}
