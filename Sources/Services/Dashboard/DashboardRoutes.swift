import Bytes
import HTTPServer

extension ServiceRoutes {
    /// How the dashboard's WebSocket runs: the page sends nothing, so what it may send is small;
    /// a page gone silent is pinged after 20 s and closed 10 s later; a page that does not take an
    /// update within 5 s is closed (it reconnects and gets a snapshot).
    static func liveConfiguration(allowedOrigins: [String]) -> WebSocketServerConfiguration {
        WebSocketServerConfiguration(originPolicy: WebSocketOriginPolicy(allowedOrigins: allowedOrigins),
                                     limits: WebSocketLimits(maxFrameSize: 4096, maxMessageSize: 4096),
                                     pingInterval: .seconds(20), pongTimeout: .seconds(10), writeTimeout: .seconds(5),
                                     closingTimeout: .seconds(2), maxQueuedMessages: 4)
    }

    /// `GET /`, the live page, and `GET /live`, its WebSocket feed (same origin, plus
    /// `allowedOrigins`).
    static func addLiveDashboard(to router: inout HTTPRouter, live: DashboardLive, allowedOrigins: [String]) {
        let page = ByteBuffer(string: DashboardPage.html)
        router.get("/") { _ in
            HTTPResponse(status: .ok, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                                                ("Content-Security-Policy", DashboardPage.contentSecurityPolicy)],
                         body: .bytes(page))
        }
        router.webSocket("/live", configuration: liveConfiguration(allowedOrigins: allowedOrigins)) { _, socket in
            try await live.serve(socket)
        }
    }
}
