import HTTPServer
import Testing

@Suite struct WebSocketHandshakeTests {
    /// A browser's upgrade request to the dashboard, as field lines.
    static let browserFields: [(String, String)] = [
        ("Host", "localhost:8081"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
        ("Origin", "http://localhost:8081"),
    ]

    static func respond(
        _ fields: [(String, String)] = browserFields, method: String = "GET", version: (Int, Int) = (1, 1),
        policy: WebSocketOriginPolicy = .sameOrigin
    ) -> Result<WebSocketHandshake.Acceptance, WebSocketHandshakeError> {
        WebSocketHandshake(originPolicy: policy).respond(method: method, version: version) { name in
            fields.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
        }
    }

    static func replacing(_ name: String, with value: String?) -> [(String, String)] {
        browserFields.filter { $0.0 != name } + (value.map { [(name, $0)] } ?? [])
    }

    static func refusal(_ result: Result<WebSocketHandshake.Acceptance, WebSocketHandshakeError>) -> WebSocketHandshakeError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    /// RFC 6455 §1.3 and §4.2.2.
    @Test func rfcAcceptValue() {
        #expect(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func aValidUpgradeGets101() throws {
        let acceptance = try Self.respond().get()
        #expect(acceptance.status == 101)
        #expect(acceptance.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(acceptance.headers.map { [$0.name, $0.value] } == [
            ["Upgrade", "websocket"], ["Connection", "Upgrade"], ["Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
        ])
    }

    @Test func tokensAreCaseInsensitiveAndListed() throws {
        var fields = Self.replacing("Upgrade", with: "h2c, WebSocket")
        fields = fields.filter { $0.0 != "Connection" } + [("Connection", "keep-alive"), ("connection", " UPGRADE ")]
        #expect(throws: Never.self) { try Self.respond(fields).get() }
        #expect(throws: Never.self) { try Self.respond(Self.replacing("Origin", with: nil)).get() }
        #expect(throws: Never.self) { try Self.respond(version: (2, 0)).get() }
    }

    @Test(arguments: [
        ("method", "POST", WebSocketHandshakeError.Code.methodNotGet),
        ("method", "get", .methodNotGet),
        ("version", "1.0", .httpVersionTooOld),
        ("Host", nil, .invalidHost),
        ("Upgrade", nil, .missingUpgrade),
        ("Upgrade", "websocket2", .missingUpgrade),
        ("Connection", nil, .missingConnectionUpgrade),
        ("Connection", "keep-alive", .missingConnectionUpgrade),
        ("Sec-WebSocket-Version", nil, .missingVersion),
        ("Sec-WebSocket-Key", nil, .invalidKey),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ", .invalidKey),          // unpadded
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j", .invalidKey),            // 15 bytes
        ("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAAA", .invalidKey),        // 18 bytes
    ] as [(String, String?, WebSocketHandshakeError.Code)])
    func malformedUpgradesGet400(field: String, value: String?, code: WebSocketHandshakeError.Code) {
        let result = switch field {
        case "method": Self.respond(method: value!)
        case "version": Self.respond(version: (1, 0))
        default: Self.respond(Self.replacing(field, with: value))
        }
        let refusal = Self.refusal(result)
        #expect(refusal?.code == code)
        #expect(refusal?.status == 400)
        #expect(refusal?.headers.isEmpty == true)
    }

    @Test func duplicatedFieldsGet400() {
        #expect(Self.refusal(Self.respond(Self.browserFields + [("Host", "other")]))?.code == .invalidHost)
        #expect(Self.refusal(Self.respond(Self.browserFields + [("Sec-WebSocket-Version", "13")]))?.code == .missingVersion)
        #expect(Self.refusal(Self.respond(Self.browserFields + [("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]))?.code == .invalidKey)
    }

    @Test(arguments: ["8", "12", "14", "13, 8", "", "thirteen"])
    func otherVersionsGet426NamingVersion13(version: String) {
        let refusal = Self.refusal(Self.respond(Self.replacing("Sec-WebSocket-Version", with: version)))
        #expect(refusal?.code == .unsupportedVersion)
        #expect(refusal?.status == 426)
        #expect(refusal?.headers.first { $0.name == "Sec-WebSocket-Version" }?.value == "13")
        #expect(refusal?.headers.first { $0.name == "Upgrade" }?.value == "websocket")
    }

    @Test(arguments: [
        ("http://localhost:8081", true),
        ("HTTP://LocalHost:8081", true),
        ("https://localhost:8081", true),       // the Host cannot tell whether TLS ended in front
        ("http://localhost:8082", false),
        ("http://localhost", false),
        ("http://evil.example", false),
        ("http://localhost:8081.evil.example", false),
        ("null", false),
        ("http://localhost:8081/path", false),
        ("localhost:8081", false),
    ])
    func sameOriginIsTheDefault(origin: String, allowed: Bool) {
        let result = Self.respond(Self.replacing("Origin", with: origin))
        if allowed {
            #expect(Self.refusal(result) == nil)
        } else {
            #expect(Self.refusal(result)?.code == .forbiddenOrigin)
            #expect(Self.refusal(result)?.status == 403)
        }
    }

    @Test func defaultPortsAndIPv6Hosts() {
        let policy = WebSocketOriginPolicy.sameOrigin
        #expect(policy.allows(origin: "http://example.com", host: "example.com"))
        #expect(policy.allows(origin: "http://example.com", host: "example.com:80"))
        #expect(policy.allows(origin: "https://example.com:443", host: "example.com"))
        #expect(!policy.allows(origin: "https://example.com", host: "example.com:80"))
        #expect(policy.allows(origin: "http://[::1]:8081", host: "[::1]:8081"))
        #expect(!policy.allows(origin: "http://[::1]:8081", host: "[::2]:8081"))
        #expect(!policy.allows(origin: "http://example.com", host: "example.com:x"))
    }

    @Test func anAllowListAddsOrigins() {
        let policy = WebSocketOriginPolicy(allowedOrigins: ["https://Dash.Example.com:443", "http://127.0.0.1:3000"])
        #expect(policy.allowedOrigins == ["https://dash.example.com", "http://127.0.0.1:3000"])
        #expect(policy.allows(origin: "https://dash.example.com", host: "internal:8081"))
        #expect(policy.allows(origin: "http://127.0.0.1:3000", host: "internal:8081"))
        #expect(policy.allows(origin: "http://internal:8081", host: "internal:8081"))
        #expect(!policy.allows(origin: "http://dash.example.com", host: "internal:8081"))
        let only = WebSocketOriginPolicy(allowedOrigins: ["https://dash.example.com"], allowsSameOrigin: false)
        #expect(!only.allows(origin: "http://internal:8081", host: "internal:8081"))
        #expect(WebSocketOriginPolicy.anyOrigin.allows(origin: "null", host: "internal:8081"))
        #expect(Self.refusal(Self.respond(Self.replacing("Origin", with: "http://evil.example"), policy: .anyOrigin)) == nil)
        #expect(Self.refusal(Self.respond(Self.browserFields + [("Origin", "http://localhost:8081")]))?.code == .forbiddenOrigin)
    }
}
