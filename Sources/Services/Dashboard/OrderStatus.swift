import JSON

/// Where one order stands, for `GET /orders/{id}`.
public struct OrderStatus: Sendable, Equatable {
    public var id: String
    /// accepted, reserved, rejected or notified.
    public var state: String
    /// Why it was rejected, when it was.
    public var reason: String?

    public init(id: String, state: String, reason: String? = nil) {
        self.id = id
        self.state = state
        self.reason = reason
    }

    /// `{"id","reason","state"}`, `reason` only for a rejected order.
    public var json: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("id", id)
        if let reason { writer.field("reason", reason) }
        writer.field("state", state)
        writer.endObject()
        return writer.bytes
    }
}
