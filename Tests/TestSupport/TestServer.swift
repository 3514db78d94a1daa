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

    /// The environment variable holding the server's URL.
    public var environmentVariable: String {
        switch self {
        case .redis: "REDIS_URL"
        case .rabbitmq: "AMQP_URL"
        case .otlpReceiver: "OTLP_RECEIVER_URL"
        }
    }

    /// The URL used when the environment variable is unset or empty.
    public var defaultURL: String {
        switch self {
        case .redis: "redis://127.0.0.1:6379"
        case .rabbitmq: "amqp://guest:guest@127.0.0.1:5672/"
        case .otlpReceiver: "http://127.0.0.1:4318"
        }
    }

    private var defaultPort: Int {
        switch self {
        case .redis: 6379
        case .rabbitmq: 5672
        case .otlpReceiver: 4318
        }
    }

    /// The server's URL: the environment variable's value, else ``defaultURL``.
    public func url(in environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let value = environment[environmentVariable] ?? ""
        return value.isEmpty ? defaultURL : value
    }

    /// The server's parsed address.
    public func endpoint(
        in environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ServerEndpointError) -> ServerEndpoint {
        try ServerEndpoint(url: url(in: environment), defaultPort: defaultPort)
    }

    /// What to tell someone whose tests could not reach the server.
    public func unreachableMessage(in environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let script = self == .otlpReceiver ? "scripts/interop/otlp-receiver.sh start" : "scripts/servers.sh start"
        return "\(environmentVariable)=\(url(in: environment)) not reachable; start it with \(script)"
    }

    /// Returns whether the server accepts connections. When it does not and `CI` is `true`, throws
    /// ``TestServerUnavailable`` instead, since CI must run every test.
    public func checkAvailability(
        in environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> Bool {
        let endpoint = try endpoint(in: environment)
        if await TCPProbe.canConnect(host: endpoint.host, port: endpoint.port) { return true }
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
