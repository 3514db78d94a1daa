/// Reads order objects, and the processor's events about them, with `JSONScanner`: field by field,
/// remembering which field was missing or of the wrong type, so the gateway can answer "Missing or
/// invalid fields" only for a document that is JSON throughout.
enum OrderReader {
    /// One field as found in the document.
    enum Field<Value> {
        case missing
        case wrongType
        case value(Value)
    }

    /// The fields of one order or event object, before validation.
    struct Fields {
        var id = Field<String>.missing
        var sku = Field<String>.missing
        var qty = Field<Int>.missing
        var email = Field<String>.missing
        /// An event's kind; orders have none.
        var event = Field<String>.missing
        /// An event's rejection reason; orders have none.
        var reason = Field<String>.missing

        /// The order, checked in a fixed order of fields so the error names the same field
        /// whatever order the document had.
        func order(limits: OrderLimits) throws(OrderInputError) -> Order {
            if case .wrongType = email { throw .invalidField("email") }
            guard case .value(let id) = id else { throw .invalidField("id") }
            guard case .value(let sku) = sku else { throw .invalidField("sku") }
            guard case .value(let qty) = qty else { throw .invalidField("qty") }
            var address: String?
            if case .value(let given) = email { address = given }
            let order = Order(id: id, sku: sku, qty: qty, email: address)
            try order.validate(limits: limits)
            return order
        }

        /// The event, whose order part is checked as an order is.
        func event(limits: OrderLimits) throws(OrderInputError) -> OrderEvent {
            guard case .value(let kind) = event, OrderEvent.kinds.contains(kind) else { throw .invalidField("event") }
            guard case .value(let reason) = reason else { throw .invalidField("reason") }
            return OrderEvent(event: kind, order: try order(limits: limits), reason: reason)
        }
    }

    /// Reads a message body: one object, or a non-empty array of them (`MessageBatch`).
    static func readMessage(_ body: [UInt8]) throws(OrderInputError) -> [Fields] {
        try read(body) { scanner throws(JSONScanner.Malformed) in
            var all: [Fields] = []
            if scanner.take(UInt8(ascii: "[")) {
                repeat { all.append(try fields(&scanner)) } while scanner.take(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "]"))
            } else {
                all.append(try fields(&scanner))
            }
            try scanner.expectEnd()
            return all
        }
    }

    /// Runs `document` over `body`'s bytes; any syntax error is `invalidJSON`.
    static func read(_ body: some Collection<UInt8>, _ document: (inout JSONScanner) throws(JSONScanner.Malformed) -> [Fields]) throws(OrderInputError) -> [Fields] {
        func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> [Fields]? {
            var scanner = JSONScanner(bytes)
            return try? document(&scanner)
        }
        let fields = body.withContiguousStorageIfAvailable(scan) ?? Array(body).withUnsafeBufferPointer(scan)
        guard let fields else { throw .invalidJSON }
        return fields
    }

    /// Reads one object; unknown members are skipped (their syntax still checked).
    static func fields(_ scanner: inout JSONScanner) throws(JSONScanner.Malformed) -> Fields {
        try scanner.expect(UInt8(ascii: "{"))
        var fields = Fields()
        if scanner.take(UInt8(ascii: "}")) { return fields }
        repeat {
            let name = try scanner.readString()
            try scanner.expect(UInt8(ascii: ":"))
            switch name {
            case "id": fields.id = try text(&scanner)
            case "sku": fields.sku = try text(&scanner)
            case "email": fields.email = try scanner.takeNull() ? .missing : try text(&scanner)
            case "qty": fields.qty = try integer(&scanner)
            case "event": fields.event = try text(&scanner)
            case "reason": fields.reason = try text(&scanner)
            default: try scanner.skipValue(depth: 1)
            }
        } while scanner.take(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "}"))
        return fields
    }

    private static func text(_ scanner: inout JSONScanner) throws(JSONScanner.Malformed) -> Field<String> {
        guard try scanner.peekKind() == .string else {
            try scanner.skipValue(depth: 1)
            return .wrongType
        }
        return .value(try scanner.readString())
    }

    /// An integer literal only, as Go's decoder of the seed's `int`: `2.0` or `1e3` is not a quantity.
    private static func integer(_ scanner: inout JSONScanner) throws(JSONScanner.Malformed) -> Field<Int> {
        guard try scanner.peekKind() == .number else {
            try scanner.skipValue(depth: 1)
            return .wrongType
        }
        return try scanner.readInteger().map(Field.value) ?? .wrongType
    }
}
