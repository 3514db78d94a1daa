import Bytes
import Foundation
import HTTPClient
import TestSupport

/// The OTLP test receiver (`scripts/interop/otlp-receiver.py`) as one test sees it: a namespace of its
/// own (a path prefix), its scripted answers and the exports it recorded.
struct OTLPReceiver {
    let base: HTTPEndpoint
    let namespace: String
    private let control: HTTPClient

    /// A receiver namespace unique to the calling test.
    init() throws {
        base = try HTTPEndpoint(url: TestServer.otlpReceiver.url())
        namespace = "/test-\(UInt64.random(in: 1...UInt64.max))"
        control = HTTPClient(endpoint: base)
    }

    /// The traces URL of this namespace.
    var tracesEndpoint: HTTPEndpoint {
        get throws { try HTTPEndpoint(url: "http://\(base.hostHeader)\(namespace)/v1/traces") }
    }

    /// Answers to give the next exports, in order: `status`, optional `retry_after`, `delay` seconds.
    func script(_ responses: [[String: Any]]) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["responses": responses])
        let response = try await control.execute(HTTPClientRequest(method: "POST", target: "/control/script?ns=\(namespace)", body: ByteBuffer(bytes: body)))
        precondition(response.status == 200, "the receiver refused the script")
    }

    /// Forgets the recorded exports and the answers still scripted.
    func reset() async throws {
        _ = try await control.execute(HTTPClientRequest(method: "POST", target: "/control/reset?ns=\(namespace)"))
    }

    /// The exports recorded so far, oldest first.
    func requests() async throws -> [[String: Any]] {
        let response = try await control.execute(HTTPClientRequest(method: "GET", target: "/control/requests?ns=\(namespace)"))
        let document = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        return document?["requests"] as? [[String: Any]] ?? []
    }

    /// The spans of every valid export so far, in order.
    func spans() async throws -> [[String: Any]] {
        try await requests().flatMap { request -> [[String: Any]] in
            let parsed = request["request"] as? [String: Any]
            let resourceSpans = parsed?["resourceSpans"] as? [[String: Any]] ?? []
            return resourceSpans.flatMap { ($0["scopeSpans"] as? [[String: Any]] ?? []).flatMap { $0["spans"] as? [[String: Any]] ?? [] } }
        }
    }
}
