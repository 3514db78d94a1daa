import Testing
import TestSupport

@Suite struct TestServerTests {
    @Test func urlComesFromTheEnvironment() {
        let environment = ["REDIS_URL": "redis://127.0.0.1:16379", "AMQP_URL": "amqp://u:p@127.0.0.1:5682/"]
        #expect(TestServer.redis.url(in: environment) == "redis://127.0.0.1:16379")
        #expect(TestServer.rabbitmq.url(in: environment) == "amqp://u:p@127.0.0.1:5682/")
    }

    @Test(arguments: [[:], ["REDIS_URL": "", "AMQP_URL": ""]])
    func unsetOrEmptyMeansTheDefault(environment: [String: String]) throws {
        #expect(TestServer.redis.url(in: environment) == "redis://127.0.0.1:6379")
        #expect(TestServer.rabbitmq.url(in: environment) == "amqp://guest:guest@127.0.0.1:5672/")
        #expect(try TestServer.redis.endpoint(in: environment).port == 6379)
        #expect(try TestServer.rabbitmq.endpoint(in: environment).port == 5672)
    }

    @Test func reachableServerIsAvailableWithOrWithoutCI() async throws {
        let listener = try #require(LoopbackSocket(listening: true))
        defer { listener.close() }
        let url = "redis://127.0.0.1:\(listener.port)"
        #expect(try await TestServer.redis.checkAvailability(in: ["REDIS_URL": url]))
        #expect(try await TestServer.redis.checkAvailability(in: ["REDIS_URL": url, "CI": "true"]))
    }

    @Test(arguments: [nil, "false", "1"])
    func unreachableServerIsSkippedOutsideCI(ci: String?) async throws {
        let port = try #require(Self.closedPort())
        var environment = ["AMQP_URL": "amqp://127.0.0.1:\(port)/"]
        environment["CI"] = ci
        #expect(try await TestServer.rabbitmq.checkAvailability(in: environment) == false)
    }

    @Test func unreachableServerFailsUnderCI() async throws {
        let port = try #require(Self.closedPort())
        let url = "amqp://127.0.0.1:\(port)/"
        let error = await #expect(throws: TestServerUnavailable.self) {
            try await TestServer.rabbitmq.checkAvailability(in: ["AMQP_URL": url, "CI": "true"])
        }
        #expect(error?.server == .rabbitmq)
        #expect(error?.description == "AMQP_URL=\(url) not reachable; start it with scripts/servers.sh start (CI=true, so this fails instead of skipping)")
    }

    @Test func sentinelAndClusterURLsListEveryHost() throws {
        let environment = [
            "REDIS_SENTINEL_URL": "redis-sentinel://u:p@127.0.0.1:26491,[::1]:26492,localhost/orders/2",
            "REDIS_CLUSTER_URL": "redis-cluster://127.0.0.1:7101,127.0.0.1:7102",
        ]
        let sentinels = try TestServer.redisSentinel.endpoints(in: environment)
        #expect(sentinels.map(\.host) == ["127.0.0.1", "::1", "localhost"])
        #expect(sentinels.map(\.port) == [26491, 26492, 26379])
        #expect(sentinels.allSatisfy { $0.user == "u" && $0.password == "p" && $0.path == "orders/2" })
        #expect(try TestServer.redisCluster.endpoints(in: environment).map(\.port) == [7101, 7102])
    }

    @Test func topologyIsAvailableOnlyWhenEveryHostAnswers() async throws {
        let listener = try #require(LoopbackSocket(listening: true))
        defer { listener.close() }
        let port = try #require(Self.closedPort())
        let answering = "redis-cluster://127.0.0.1:\(listener.port),127.0.0.1:\(listener.port)"
        #expect(try await TestServer.redisCluster.checkAvailability(in: ["REDIS_CLUSTER_URL": answering]))
        let oneDown = "redis-cluster://127.0.0.1:\(listener.port),127.0.0.1:\(port)"
        #expect(try await TestServer.redisCluster.checkAvailability(in: ["REDIS_CLUSTER_URL": oneDown]) == false)
        let error = await #expect(throws: TestServerUnavailable.self) {
            try await TestServer.redisCluster.checkAvailability(in: ["REDIS_CLUSTER_URL": oneDown, "CI": "true"])
        }
        #expect(error?.description == "REDIS_CLUSTER_URL=\(oneDown) not reachable; start it with scripts/servers.sh start redis-cluster (CI=true, so this fails instead of skipping)")
    }

    @Test func malformedURLIsAnError() async {
        await #expect(throws: ServerEndpointError.invalidPort("redis://127.0.0.1:none")) {
            try await TestServer.redis.checkAvailability(in: ["REDIS_URL": "redis://127.0.0.1:none"])
        }
    }

    /// A loopback port nobody listens on.
    private static func closedPort() -> Int? {
        guard let socket = LoopbackSocket(listening: false) else { return nil }
        socket.close()
        return socket.port
    }
}
