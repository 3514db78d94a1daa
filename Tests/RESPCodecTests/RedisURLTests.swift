import RESP
import Testing

@Suite struct RedisURLTests {
    @Test func singleServerURL() throws {
        guard case .single(let configuration) = try RedisTopology(url: "redis://:pw@cache:6380/2") else {
            Issue.record("redis:// must be a single server")
            return
        }
        #expect(configuration.endpoint == RedisEndpoint(host: "cache", port: 6380))
        #expect(configuration.password == "pw" && configuration.database == 2)
    }

    @Test func sentinelURL() throws {
        guard case .sentinel(let configuration) = try RedisTopology(url: "redis-sentinel://app:s%40cret@10.0.0.1:26379,[::1]:26380,sentinel-c/orders/3") else {
            Issue.record("redis-sentinel:// must be Sentinel")
            return
        }
        #expect(configuration.sentinels == [
            RedisEndpoint(host: "10.0.0.1", port: 26379), RedisEndpoint(host: "::1", port: 26380), RedisEndpoint(host: "sentinel-c", port: 26379),
        ])
        #expect(configuration.masterName == "orders")
        #expect(configuration.node.username == "app" && configuration.node.password == "s@cret" && configuration.node.database == 3)
        #expect(try RedisSentinelConfiguration(url: "redis-sentinel://h:1/m").node.database == 0)
    }

    @Test func clusterURL() throws {
        guard case .cluster(let configuration) = try RedisTopology(url: "redis-cluster://:pw@127.0.0.1:7001,127.0.0.1:7002") else {
            Issue.record("redis-cluster:// must be a Cluster")
            return
        }
        #expect(configuration.seeds.map(\.port) == [7001, 7002])
        #expect(configuration.node.password == "pw")
        #expect(RedisEndpoint(host: "::1", port: 7000).description == "[::1]:7000")
    }

    @Test func theURLChoosesTheClient() throws {
        #expect(try RedisTopology(url: "redis://127.0.0.1:6379").makeClient() is RedisClient)
        #expect(try RedisTopology(url: "redis-sentinel://127.0.0.1:26379/orders").makeClient() is RedisSentinelClient)
        #expect(try RedisTopology(url: "redis-cluster://127.0.0.1:7001").makeClient() is RedisClusterClient)
    }

    @Test(arguments: [
        "redis-sentinel://h:26379", "redis-sentinel://h:26379/", "redis-sentinel://h:26379/m/x", "redis-sentinel://h:26379/m/1/2",
        "redis-sentinel://h:1,,h:2/m", "redis-cluster://h:7000/0", "redis-cluster://", "redis://a:1,b:2", "rediss://h", "h:6379",
    ])
    func invalidURLsAreRejected(url: String) {
        let error = #expect(throws: RedisClientError.self) { try RedisTopology(url: url) }
        #expect(error?.code == .invalidURL)
    }
}

@Suite struct RedisRedirectionTests {
    @Test func movedAndAskAreParsed() {
        #expect(RedisServerError(reply: "MOVED 3999 127.0.0.1:6381").redirection == RedisRedirection(kind: .moved, slot: 3999, host: "127.0.0.1", port: 6381))
        #expect(RedisServerError(reply: "ASK 12182 [::1]:7002").redirection == RedisRedirection(kind: .ask, slot: 12182, host: "::1", port: 7002))
        // A node that does not know its address answers with an empty host.
        #expect(RedisServerError(reply: "MOVED 1 :7003").redirection == RedisRedirection(kind: .moved, slot: 1, host: "", port: 7003))
    }

    @Test(arguments: ["MOVED", "MOVED 3999", "MOVED 16384 h:1", "MOVED x h:1", "ASK 1 h", "ASK 1 h:0", "ERR 1 h:1", "TRYAGAIN Multiple keys request during rehashing of slot"])
    func otherRepliesHaveNone(reply: String) {
        #expect(RedisServerError(reply: reply).redirection == nil)
    }
}
