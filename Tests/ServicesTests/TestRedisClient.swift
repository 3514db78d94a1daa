import RESP
import TestSupport

extension RedisClient {
    /// A client of the test server, optionally on another database, whose `run()` goes on for the
    /// rest of the test process: it is owned by the process, like the shared servers themselves.
    static func forTests(database: Int? = nil) throws -> RedisClient {
        var configuration = try RedisConfiguration(url: TestServer.redis.url())
        if let database { configuration.database = database }
        let client = RedisClient(configuration: configuration)
        Task { await client.run() }
        return client
    }
}
