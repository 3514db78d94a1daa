import Foundation

/// A server that integration tests run against, addressed by an environment variable.
public enum TestServer: String, Sendable, CaseIterable {
    /// Redis, at `REDIS_URL` (default `redis://127.0.0.1:6379`).
    case redis
    /// RabbitMQ, at `AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672/`).
    case rabbitmq
    /// The OTLP test receiver (`scripts/interop/otlp-receiver.py`), at `OTLP_RECEIVER_URL`
    /// (default `http://127.0.0.1:4318`).
    case otlpReceiver
    /// Redis Sentinel (three sentinels watching a master with two replicas), at
    /// `REDIS_SENTINEL_URL`; `scripts/servers.sh start redis-sentinel` starts one.
    case redisSentinel
    /// Redis Cluster (three masters with a replica each), at `REDIS_CLUSTER_URL`;
    /// `scripts/servers.sh start redis-cluster` starts one.
    case redisCluster

    /// The environment variable holding the server's URL.
    public var environmentVariable: String {
        switch self {
        case .redis: "REDIS_URL"
        case .rabbitmq: "AMQP_URL"
        case .otlpReceiver: "OTLP_RECEIVER_URL"
        case .redisSentinel: "REDIS_SENTINEL_URL"
        case .redisCluster: "REDIS_CLUSTER_URL"
        }
    }

    /// The URL used when the environment variable is unset or empty.
    public var defaultURL: String {
        switch self {
        case .redis: "redis://127.0.0.1:6379"
        case .rabbitmq: "amqp://guest:guest@127.0.0.1:5672/"
        case .otlpReceiver: "http://127.0.0.1:4318"
        case .redisSentinel: "redis-sentinel://127.0.0.1:26391,127.0.0.1:26392,127.0.0.1:26393/orders"
        case .redisCluster: "redis-cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003"
        }
    }

    private var defaultPort: Int {
        switch self {
        case .redis: 6379
        case .rabbitmq: 5672
        case .otlpReceiver: 4318
        case .redisSentinel: 26379
        case .redisCluster: 6379
        }
    }

    /// The server's URL: the environment variable's value, else ``defaultURL``.
    public func url(in environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let value = environment[environmentVariable] ?? ""
        return value.isEmpty ? defaultURL : value
    }

    /// The server's parsed address; the first one when the URL lists several hosts.
    public func endpoint(
        in environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ServerEndpointError) -> ServerEndpoint {
        try endpoints(in: environment)[0]
    }

    /// Every host of the URL (Sentinel and Cluster URLs list several, comma-separated).
    public func endpoints(
        in environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ServerEndpointError) -> [ServerEndpoint] {
        let url = url(in: environment)
        guard let schemeEnd = url.range(of: "://") else { throw .missingScheme(url) }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        let hosts = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        var endpoints: [ServerEndpoint] = []
        for host in hosts.split(separator: ",", omittingEmptySubsequences: false) {
            // Each host as a URL of its own, credentials and path included, so every part is checked.
            let single = url[..<schemeEnd.upperBound] + authority.dropLast(hosts.count) + host + rest.dropFirst(authority.count)
            endpoints.append(try ServerEndpoint(url: String(single), defaultPort: defaultPort))
        }
        return endpoints
    }

    /// What to tell someone whose tests could not reach the server.
    public func unreachableMessage(in environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let script = self == .otlpReceiver ? "scripts/interop/otlp-receiver.sh start" : "scripts/servers.sh start\(startTarget)"
        return "\(environmentVariable)=\(url(in: environment)) not reachable; start it with \(script)"
    }

    /// What to add to `scripts/servers.sh start` to start this server alone.
    private var startTarget: String {
        switch self {
        case .redis, .rabbitmq, .otlpReceiver: ""
        case .redisSentinel: " redis-sentinel"
        case .redisCluster: " redis-cluster"
        }
    }

    /// Returns whether the server (every host of its URL) accepts connections. When it does not
    /// and `CI` is `true`, throws ``TestServerUnavailable`` instead, since CI must run every test.
    public func checkAvailability(
        in environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> Bool {
        var reachable = true
        for endpoint in try endpoints(in: environment) where reachable {
            reachable = await TCPProbe.canConnect(host: endpoint.host, port: endpoint.port)
        }
        if reachable { return true }
        if TestEnvironment.isCI(environment) {
            throw TestServerUnavailable(server: self, message: unreachableMessage(in: environment))
        }
        return false
    }
}

/// A server needed by a test does not answer while `CI` is `true`.
public struct TestServerUnavailable: Error, CustomStringConvertible {
    /// The server that did not answer.
    public var server: TestServer
    /// Which URL was tried and how to start the server.
    public var message: String

    public var description: String { "\(message) (CI=true, so this fails instead of skipping)" }
}
