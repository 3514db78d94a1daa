import Testing
import TestSupport

@Suite struct ServerEndpointTests {
    @Test func redisURLWithPort() throws {
        let endpoint = try ServerEndpoint(url: "redis://127.0.0.1:16379", defaultPort: 6379)
        #expect(endpoint.scheme == "redis")
        #expect(endpoint.host == "127.0.0.1")
        #expect(endpoint.port == 16379)
        #expect(endpoint.user == nil)
        #expect(endpoint.password == nil)
        #expect(endpoint.path == nil)
    }

    @Test func defaultPortWhenURLNamesNone() throws {
        let endpoint = try ServerEndpoint(url: "redis://localhost", defaultPort: 6379)
        #expect(endpoint.host == "localhost")
        #expect(endpoint.port == 6379)
    }

    @Test func amqpURLWithCredentialsAndDefaultVirtualHost() throws {
        let endpoint = try ServerEndpoint(url: "amqp://guest:guest@127.0.0.1:5672/", defaultPort: 5672)
        #expect(endpoint.scheme == "amqp")
        #expect(endpoint.user == "guest")
        #expect(endpoint.password == "guest")
        #expect(endpoint.host == "127.0.0.1")
        #expect(endpoint.port == 5672)
        #expect(endpoint.path == nil)
    }

    @Test func percentEncodedUserInfoAndPath() throws {
        let endpoint = try ServerEndpoint(url: "AMQP://us%40er:p%3Aw@broker:5673/%2Forders", defaultPort: 5672)
        #expect(endpoint.scheme == "amqp")
        #expect(endpoint.user == "us@er")
        #expect(endpoint.password == "p:w")
        #expect(endpoint.host == "broker")
        #expect(endpoint.port == 5673)
        #expect(endpoint.path == "/orders")
    }

    @Test func userWithoutPasswordAndDatabasePath() throws {
        let endpoint = try ServerEndpoint(url: "redis://app@10.0.0.2:7000/3", defaultPort: 6379)
        #expect(endpoint.user == "app")
        #expect(endpoint.password == nil)
        #expect(endpoint.path == "3")
    }

    @Test func bracketedIPv6Host() throws {
        let withPort = try ServerEndpoint(url: "redis://[::1]:6380", defaultPort: 6379)
        #expect(withPort.host == "::1")
        #expect(withPort.port == 6380)
        let withoutPort = try ServerEndpoint(url: "redis://[fe80::1]/0", defaultPort: 6379)
        #expect(withoutPort.host == "fe80::1")
        #expect(withoutPort.port == 6379)
        #expect(withoutPort.path == "0")
    }

    @Test(arguments: [
        ("127.0.0.1:6379", ServerEndpointError.missingScheme("127.0.0.1:6379")),
        ("redis://:6379", .invalidHost("redis://:6379")),
        ("redis://[::1:6379", .invalidHost("redis://[::1:6379")),
        ("redis://[::1]6379", .invalidHost("redis://[::1]6379")),
        ("redis://host:0", .invalidPort("redis://host:0")),
        ("redis://host:65536", .invalidPort("redis://host:65536")),
        ("redis://host:http", .invalidPort("redis://host:http")),
        ("amqp://gu%4:x@host/", .invalidPercentEncoding("amqp://gu%4:x@host/")),
        ("amqp://host/%zz", .invalidPercentEncoding("amqp://host/%zz")),
    ])
    func rejectsMalformedURL(url: String, expected: ServerEndpointError) {
        #expect(throws: expected) { try ServerEndpoint(url: url, defaultPort: 1) }
    }
}
