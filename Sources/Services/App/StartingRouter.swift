import HTTPServer
import Synchronization

/// The routes of a service whose HTTP port is bound before Redis and a broker answer, so that
/// liveness can tell a process that waits for them from one that hangs: until `install` hands it
/// the service's router, `/livez` answers 200 and every other request 503 with `Retry-After`
/// (`/readyz` included); afterwards the router answers everything.
final class StartingRouter: Sendable {
    /// Nil while starting; set once, then read by every request.
    private let router = Mutex<HTTPRouter?>(nil)

    /// Serves `router` from now on.
    func install(_ router: HTTPRouter) {
        self.router.withLock { $0 = router }
    }

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let router = router.withLock({ $0 }) { return try await router.handle(request) }
        if request.path == "/livez", request.method == .get || request.method == .head { return .text("ok\n") }
        var response = HTTPResponse.text("starting: waiting for Redis and a broker\n", status: .serviceUnavailable)
        response.headers.add(name: "Retry-After", value: "1")
        return response
    }

    /// The router's 100-continue policy once installed; while starting the answer is 503 either way.
    func continuePolicy(for head: HTTPRequestHead) -> HTTPResponse? {
        router.withLock { $0 }?.continuePolicy(for: head)
    }
}
