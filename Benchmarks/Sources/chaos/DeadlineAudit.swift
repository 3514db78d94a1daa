/// The audit of the gateway's request deadline. A request whose claim has not started by its
/// deadline is answered 503 and never committed later, so every order the pipeline took (its
/// `order:<id>` exists) was claimed by the deadline of one of its requests. The claim time is the
/// `until` of the order's scope record (`idem:order:<id>`, claim time on the Redis clock plus the
/// in-flight TTL), the requests' times are the ledger's wall-clock send times: one machine, one
/// clock.
///
/// A claim the gateway started in time runs in Redis a little later: the gateway acts on its
/// reply only within its Redis wait and command timeouts, so `slackMs` (set from them) bounds
/// how much later a committed claim may have run. Claims past the deadline but within the slack
/// are counted and shown, not violations; later ones are.
struct DeadlineAudit {
    let deadlineMs: Double
    let slackMs: Double
    let inFlightTTLMs: Double

    /// Orders claimed later than a deadline plus the slack.
    private(set) var late = 0
    /// Orders claimed after the deadline of every request sent before the claim, within the slack.
    private(set) var lateWithinSlack = 0
    /// Orders with a claim time.
    private(set) var checked = 0
    /// Orders whose record has no claim time: released, expired, or written before claims
    /// carried one (an abandoned record keeps its claim's `until`).
    private(set) var unknown = 0
    /// How far past its deadline the latest claim came, in ms (negative: all were in time).
    private(set) var worstMs: Double?

    init(deadlineMs: Double, slackMs: Double, inFlightTTLMs: Double) {
        self.deadlineMs = deadlineMs
        self.slackMs = slackMs
        self.inFlightTTLMs = inFlightTTLMs
    }

    /// Rounding of the record's whole milliseconds, and the client's send being stamped just
    /// before the bytes leave.
    private static let toleranceMs = 5.0

    /// Checks one order the pipeline took, given its requests and its record's `until`; returns
    /// what was wrong when the claim came too late.
    mutating func check(_ requests: [LedgerEntry], claimUntilMs: Int64?) -> String? {
        guard let until = claimUntilMs, until > 0 else {
            unknown += 1
            return nil
        }
        checked += 1
        let claimMs = Double(until) - inFlightTTLMs
        // The claiming request was sent before the claim; of those, the last has the latest deadline.
        guard let lastSent = requests.map(\.sentAtMs).filter({ $0 <= claimMs + Self.toleranceMs }).max() else { return nil }
        let overMs = claimMs - (lastSent + deadlineMs)
        worstMs = max(worstMs ?? overMs, overMs)
        guard overMs > Self.toleranceMs else { return nil }
        guard overMs > slackMs else {
            lateWithinSlack += 1
            return nil
        }
        late += 1
        return String(format: "claimed %.1f s after the deadline of its last request sent before the claim", overMs / 1000)
    }

    /// The table row's value.
    var summary: String {
        var parts = ["\(late) of \(checked)"]
        if lateWithinSlack > 0 { parts.append("\(lateWithinSlack) within the slack") }
        if let worstMs, worstMs > Self.toleranceMs { parts.append(String(format: "latest +%.2f s", worstMs / 1000)) }
        if unknown > 0 { parts.append("\(unknown) without a claim time") }
        return parts.joined(separator: ", ")
    }
}
