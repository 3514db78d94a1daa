import Synchronization
@testable import Services
import Testing
import TestSupport
import Transport

/// A service binds its HTTP ports before Redis and a broker answer, so liveness tells a process
/// that waits for them from one that hangs: no server runs at the addresses given here.
@Suite(.timeLimit(.minutes(1))) struct StartupHealthTests {
    /// A loopback port nothing listens on: bound by the system, then closed again.
    static func closedPort() async throws -> Int {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        return listener.port
    }

    @Test func livenessAnswersWhileRedisAndTheBrokerAreAwaited() async throws {
        var configuration = ServiceConfiguration()
        configuration.redisURL = "redis://127.0.0.1:\(try await Self.closedPort())/0"
        configuration.rabbitmqURLs = ["amqp://guest:guest@127.0.0.1:\(try await Self.closedPort())/"]
        configuration.gatewayPort = 0
        configuration.processorMetricsPort = 0
        let stop = StopSignal()
        let (listening, announce) = AsyncStream.makeStream(of: RunningPipeline.self)
        let served = Atomic(false)
        // Owner: this test, which stops it and waits for it below.
        let task = Task {
            defer { announce.finish() }
            try await PipelineApp.serve(roles: [.gateway, .processor], configuration: configuration, logger: JSONLogger(service: "startup", minimum: .error),
                                        until: stop, listening: { announce.yield($0) }, serving: { _ in served.store(true, ordering: .relaxed) })
        }
        var ports: RunningPipeline?
        for await running in listening {
            ports = running
            break
        }
        let running = try #require(ports)
        for role in [ServiceRole.gateway, .processor] {
            let port = try #require(running.port(role))
            #expect(try await HTTPTestClient.request(port: port, method: "GET", path: "/livez").status == 200)
            let readiness = try await HTTPTestClient.request(port: port, method: "GET", path: "/readyz")
            #expect(readiness.status == 503)
            #expect(readiness.header("retry-after") == "1")
        }
        let order = try await HTTPTestClient.request(port: try #require(running.port(.gateway)), method: "POST", path: "/orders",
                                                  body: #"{"id":"o-1","sku":"ABC","qty":1}"#)
        #expect(order.status == 503)
        let servedEarly = served.load(ordering: .relaxed)
        #expect(!servedEarly)
        stop.raise()
        try await task.value
    }
}
