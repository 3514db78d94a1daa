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
    /// When the request was sent, in ms since the Unix epoch: the wall clock, which Redis's `TIME`
    /// reads too on this machine, so the reconciliation can compare it with claim times, and the
    /// requests of several ledgers (the load's and the recovery probe's) with each other.
    var sentAtMs: Double
    var latencyMs: Double

    /// When the answer (or the give-up) came, in ms since the Unix epoch.
    var finishedAtMs: Double { sentAtMs + latencyMs }

    /// The request for `order` (keyed or not) as the client saw it, sent at `sentAtMs` and over
    /// `latency` later with `result`.
    init(_ order: (id: String, sku: String, qty: Int), kind: Kind, keyed: Bool, result: OneShotHTTP.Result, sentAtMs: Double, latency: Duration) {
        let (outcome, status): (Outcome, Int?) = switch result {
        case .status(let code): (.answered, code)
        case .refused: (.refused, nil)
        case .indeterminate: (.indeterminate, nil)
        }
        self.init(id: order.id, sku: order.sku, qty: order.qty, kind: kind, keyed: keyed, outcome: outcome, status: status,
                  sentAtMs: sentAtMs, latencyMs: LoadCommand.seconds(latency) * 1000)
    }

    init(id: String, sku: String, qty: Int, kind: Kind, keyed: Bool, outcome: Outcome, status: Int?, sentAtMs: Double, latencyMs: Double) {
        self.id = id
        self.sku = sku
        self.qty = qty
        self.kind = kind
        self.keyed = keyed
        self.outcome = outcome
        self.status = status
        self.sentAtMs = sentAtMs
        self.latencyMs = latencyMs
    }

    /// The wall clock now, in ms since the Unix epoch.
    static func wallClockMs() -> Double { Date().timeIntervalSince1970 * 1000 }

    static func read(from path: String) throws -> [LedgerEntry] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { try decoder.decode(LedgerEntry.self, from: Data($0.utf8)) }
    }

    /// Writes `entries` as JSON Lines, replacing the file.
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
