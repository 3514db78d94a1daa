import JSON

/// An order as clients submit it to `POST /orders` and as it travels through the queues.
public struct Order: Codable, Sendable, Equatable {
    /// The client's order id; orders are deduplicated by it.
    public var id: String
    /// The stock-keeping unit ordered; inventory lives at `inventory:<sku>`.
    public var sku: String
    /// How many units; at least 1.
    public var qty: Int
    /// Where to send the notification, when given.
    public var email: String?

    public init(id: String, sku: String, qty: Int, email: String? = nil) {
        self.id = id
        self.sku = sku
        self.qty = qty
        self.email = email
    }
}

/// Bounds on what an order may contain, so a client cannot make the pipeline store or move
/// arbitrarily large values.
public struct OrderLimits: Sendable {
    /// Longest accepted id, in UTF-8 bytes.
    public var maxIDBytes = 128
    /// Longest accepted SKU, in UTF-8 bytes.
    public var maxSKUBytes = 64
    /// Largest quantity one order may ask for.
    public var maxQuantity = 1_000_000
    /// Longest accepted e-mail address, in UTF-8 bytes (RFC 5321's path limit).
    public var maxEmailBytes = 254

    public init() {}
}

/// Why a request body is not an acceptable order. The two cases map to the gateway's two 400 answers.
public enum OrderInputError: Error, Equatable, Sendable {
    /// The body is not a JSON object.
    case invalidJSON
    /// The JSON is well formed but a field is missing, of the wrong type or out of bounds.
    case invalidField(String)
}

extension Order {
    /// Reads and validates a request body. The whole document's syntax is checked before any
    /// field, so a malformed body or one that is not an object is `invalidJSON` and only a
    /// well-formed object reaches the field checks (missing, mistyped, out of bounds).
    public static func parse(json body: some Collection<UInt8>, limits: OrderLimits = OrderLimits()) throws(OrderInputError) -> Order {
        try OrderReader.read(body) { scanner throws(JSONScanner.Malformed) in
            let fields = try OrderReader.fields(&scanner)
            try scanner.expectEnd()
            return [fields]
        }.map { fields throws(OrderInputError) in try fields.order(limits: limits) }[0]
    }

    /// Checks the bounds that the type system does not.
    public func validate(limits: OrderLimits = OrderLimits()) throws(OrderInputError) {
        try Self.checkText(id, name: "id", maxBytes: limits.maxIDBytes)
        try Self.checkText(sku, name: "sku", maxBytes: limits.maxSKUBytes)
        // Braces would make `inventory:<sku>` a hash-tagged key in a Redis Cluster, so the keys
        // meant to share its slot would not.
        guard !sku.utf8.contains(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "}") }) else { throw .invalidField("sku") }
        guard qty > 0, qty <= limits.maxQuantity else { throw .invalidField("qty") }
        if let email {
            try Self.checkText(email, name: "email", maxBytes: limits.maxEmailBytes)
            guard email.contains("@") else { throw .invalidField("email") }
        }
    }

    /// The order as the compact JSON published to the broker. Keys are sorted so equal orders
    /// always have equal bytes, which idempotency fingerprints rely on.
    public var canonicalJSON: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        if let email { writer.field("email", email) }
        writer.field("id", id)
        writer.field("qty", qty)
        writer.field("sku", sku)
        writer.endObject()
        return writer.bytes
    }

    /// The orders of one `orders.queue` message: a single order object, or a non-empty array of
    /// them as the gateway batches them (`MessageBatch`). Every order is validated; one bad element
    /// makes the whole message malformed.
    public static func parseMessage(_ body: [UInt8], limits: OrderLimits = OrderLimits()) throws(OrderInputError) -> [Order] {
        try OrderReader.readMessage(body).map { fields throws(OrderInputError) in try fields.order(limits: limits) }
    }

    private static func checkText(_ text: String, name: String, maxBytes: Int) throws(OrderInputError) {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= maxBytes else { throw .invalidField(name) }
        // Control characters would end up in Redis keys, log lines and headers.
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { throw .invalidField(name) }
    }
}
