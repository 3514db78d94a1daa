import RESP
import TestSupport

/// Clients of the test server for the services' tests.
enum TestRedis {
    /// A client of `REDIS_URL` in whichever of its forms (one server, Sentinel, Cluster), on
    /// `database` when the topology has databases, whose `run()` goes on for the rest of the test
    /// process: it is owned by the process, like the shared servers themselves.
    static func client(database: Int? = nil) throws -> any RedisClientProtocol {
        var topology = try RedisTopology(url: TestServer.redis.url())
        if let database {
            switch topology {
            case .single(var configuration):
                configuration.database = database
                topology = .single(configuration)
            case .sentinel(var configuration):
                configuration.node.database = database
                topology = .sentinel(configuration)
            case .cluster:
                break
            }
        }
        let client = topology.makeClient()
        Task { await client.run() }
        return client
    }

    /// Whether `REDIS_URL` is a Cluster, where the pipeline's keys are sharded.
    static var isCluster: Bool {
        guard let topology = try? RedisTopology(url: TestServer.redis.url()), case .cluster = topology else { return false }
        return true
    }
}
