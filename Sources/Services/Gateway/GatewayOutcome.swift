import JSON

/// Every answer `POST /orders` can give, with the seed's status codes and texts.
public enum GatewayOutcome: Equatable, Sendable {
    /// 202: the broker confirmed the order (or, for an `Idempotency-Key` retry, had confirmed it before).
    case accepted(orderID: String, replayed: Bool)
    /// 400: the body is not a JSON object.
    case invalidJSON
    /// 400: a field is missing, mistyped or out of bounds.
    case invalidFields(field: String)
    /// 400: the `Idempotency-Key` header is empty, longer than 255 bytes or has bytes outside
    /// visible ASCII.
    case invalidIdempotencyKey
    /// 405: only POST is served on /orders.
    case methodNotAllowed
    /// 409: an order with this id was already received.
    case duplicate
    /// 409: a request with this `Idempotency-Key` is still being processed.
    case inFlight
    /// 422: this `Idempotency-Key` was used with a different payload.
    case payloadMismatch
    /// 503: the order could not be handed to the broker (nack, return, timeout or no connection);
    /// the claim was released, so the client may retry.
    case unavailable(reason: String)

    /// The HTTP status code.
    public var status: Int {
        switch self {
        case .accepted: 202
        case .invalidJSON, .invalidFields, .invalidIdempotencyKey: 400
        case .methodNotAllowed: 405
        case .duplicate, .inFlight: 409
        case .payloadMismatch: 422
        case .unavailable: 503
        }
    }

    /// The plain-text body, as the seed answered.
    public var text: String {
        switch self {
        case .accepted(let id, _): "Order received: \(id)"
        case .invalidJSON: "Invalid JSON"
        case .invalidFields: "Missing or invalid fields"
        case .invalidIdempotencyKey: "Invalid Idempotency-Key: 1 to 255 visible ASCII characters"
        case .methodNotAllowed: "Method not allowed"
        case .duplicate: "Duplicate order"
        case .inFlight: "Request in progress"
        case .payloadMismatch: "Idempotency-Key reused with a different payload"
        case .unavailable: "Service unavailable, retry later"
        }
    }

    /// The same outcome as a JSON object, for clients that send `Accept: application/json`:
    /// `{"message","order_id","replayed","status"}` with the status a number, `replayed` a
    /// boolean (present on replays only), plus `field` or `reason` where they apply.
    public var json: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        if case .invalidFields(let field) = self { writer.field("field", field) }
        writer.field("message", text)
        if case .accepted(let id, let replayed) = self {
            writer.field("order_id", id)
            if replayed { writer.field("replayed", true) }
        }
        if case .unavailable(let reason) = self { writer.field("reason", reason) }
        writer.field("status", status)
        writer.endObject()
        return writer.bytes
    }
}
