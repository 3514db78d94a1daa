import Bytes
import HTTPServer

import JSON

/// The HTTP surface of the services: the gateway's `/orders`, the dashboard's `/metrics`, and the
/// health and Prometheus endpoints every service serves.
public enum ServiceRoutes {
    /// `/livez`, `/readyz` and `/metrics/prometheus`, shared by every service.
    public static func addOperational(to router: inout HTTPRouter, ready: @escaping @Sendable () async -> Bool, prometheus: @escaping @Sendable () async -> String) {
        router.get("/livez") { _ in .text("ok\n") }
        router.get("/readyz") { _ in
            await ready() ? .text("ready\n") : .text("not ready\n", status: .serviceUnavailable)
        }
        router.get("/metrics/prometheus") { _ in
            HTTPResponse(status: .ok, headers: [("Content-Type", PrometheusText.contentType)], body: .bytes(ByteBuffer(string: await prometheus())))
        }
    }

    /// `POST /orders` and `GET /orders/{id}`. Any other method on `/orders` gets the seed's 405 text.
    public static func addGateway(to router: inout HTTPRouter, gateway: OrderGateway, reader: any PipelineReader, metrics: ServiceMetrics? = nil) {
        router.post("/orders") { request in
            HTTPInstrumentation.route("/orders", of: request)
            let outcome = await gateway.submit(body: request.body.readableBytesView, idempotencyKey: request.headers.first("Idempotency-Key"))
            metrics?.increment("orders_total", [("status", String(outcome.status))])
            return response(for: outcome, json: wantsJSON(request))
        }
        for method in [HTTPMethod.get, .put, .patch, .delete, .head, .options] {
            router.add(method, "/orders") { request in response(for: .methodNotAllowed, json: wantsJSON(request)) }
        }
        router.get("/orders/{id}") { request in
            HTTPInstrumentation.route("/orders/{id}", of: request)
            let id = request.pathParameters["id"] ?? ""
            do {
                guard let status = try await reader.status(orderID: id) else { return json(error: "unknown order", id: id, status: .notFound) }
                return json(status.json)
            } catch {
                return json(error: "state store unavailable", status: .serviceUnavailable)
            }
        }
    }

    /// `GET /metrics?sku=&order_id=`: the seed's JSON plus totals and the dead-letter queue depth.
    public static func addDashboard(to router: inout HTTPRouter, reader: any PipelineReader, dlqDepth: @escaping @Sendable () async -> Int64?) {
        router.get("/metrics") { request in
            HTTPInstrumentation.route("/metrics", of: request)
            do {
                var snapshot = try await reader.snapshot(sku: nonEmpty(request.query("sku")), orderID: nonEmpty(request.query("order_id")))
                snapshot.dlqDepth = await dlqDepth()
                return json(snapshot.json)
            } catch {
                return .text("Failed to read metrics\n", status: .serviceUnavailable)
            }
        }
    }

    /// The response for a gateway outcome: the seed's text, or JSON when the client asked for it.
    public static func response(for outcome: GatewayOutcome, json: Bool) -> HTTPResponse {
        var response = json ? Self.json(outcome.json, status: HTTPStatus(code: outcome.status)) : .text(outcome.text, status: HTTPStatus(code: outcome.status))
        if case .accepted(_, true) = outcome { response.headers.add(name: "Idempotent-Replayed", value: "true") }
        if case .methodNotAllowed = outcome { response.headers.add(name: "Allow", value: "POST") }
        if case .unavailable = outcome { response.headers.add(name: "Retry-After", value: "1") }
        return response
    }

    /// A JSON response of bytes written with `JSONWriter`.
    private static func json(_ body: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: .bytes(ByteBuffer(bytes: body)))
    }

    /// `{"error","id"}`, `id` when there is one.
    private static func json(error: String, id: String? = nil, status: HTTPStatus) -> HTTPResponse {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("error", error)
        if let id { writer.field("id", id) }
        writer.endObject()
        return json(writer.bytes, status: status)
    }

    private static func wantsJSON(_ request: HTTPRequest) -> Bool {
        request.headers.first("Accept")?.lowercased().contains("application/json") ?? false
    }

    private static func nonEmpty(_ value: String?) -> String? {
        value.flatMap { $0.isEmpty ? nil : $0 }
    }
}
