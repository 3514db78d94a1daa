import Foundation

/// One client request as the load generator saw it: a line of the JSON Lines ledger.
struct LedgerEntry: Codable, Sendable {
    /// What the client knows about the request's effect.
    enum Outcome: String, Codable, Sendable {
        /// An HTTP status came back; `status` holds it.
        case answered
        /// The connection was never made, so the request cannot have had an effect.
        case refused
        /// The request may have reached the gateway but no status came back (timeout or reset):
        /// Jepsen's indeterminate result.
        case indeterminate
    }

    /// Whether this request is the first for its id or a retry of an earlier one.
    enum Kind: String, Codable, Sendable {
        case first
        case retrySamePayload
        case retryOtherPayload
    }

    var id: String
    var sku: String
    var qty: Int
    var kind: Kind
    /// Whether the request carried `Idempotency-Key: <id>`; without it the gateway dedups by the
    /// order id alone. An id's requests are either all keyed or all plain, so each id exercises
    /// one of the two scopes.
    var keyed: Bool
    var outcome: Outcome
    var status: Int?
    /// Seconds since the run started, when the request was sent.
    var time: Double
    var latencyMs: Double

    /// Seconds since the run started, when the answer (or the give-up) came.
    var finished: Double { time + latencyMs / 1000 }

    static func read(from path: String) throws -> [LedgerEntry] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { try decoder.decode(LedgerEntry.self, from: Data($0.utf8)) }
    }

    static func write(_ entries: [LedgerEntry], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var data = Data()
        for entry in entries {
            data.append(try encoder.encode(entry))
            data.append(0x0A)
        }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
