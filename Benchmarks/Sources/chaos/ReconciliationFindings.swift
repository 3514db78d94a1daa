/// What Redis (and the sender's log) hold for one order id.
struct StoredOrder: Sendable {
    var state: String?
    var sku: String?
    var qty: Int?
    /// How often the processor reserved stock for it (the `reservations` of its decisions).
    var reservations = 0
    var sent = false
    /// Sends the notifier recorded (`notifications:<id>` field `sends`).
    var recordedSends = 0
    /// Sends the sender itself logged.
    var loggedSends = 0
    /// The `until` of the order's scope record (`idem:order:<id>`): claim time plus the in-flight
    /// TTL, in ms on the Redis clock; 0 when the claim was abandoned, nil without a record.
    var claimUntilMs: Int64?

    var decided: Bool { state.map { ["reserved", "rejected", "notified"].contains($0) } ?? false }

    /// The `until` of a stored scope record, `state|token|fingerprint|until`.
    static func claimUntil(ofRecord record: String?) -> Int64? {
        guard let record else { return nil }
        let parts = record.split(separator: "|", omittingEmptySubsequences: false)
        // inflight|token|fp|until[|flags] or accepted|...: the claim's until stays, abandoned or not.
        return parts.count >= 4 ? Int64(parts[3]) : nil
    }
}

/// The client ledger checked against what the pipeline stored, in Jepsen's terms. Every count
/// but the totals is a violation when non-zero; `rows` prints them.
struct ReconciliationFindings {
    var requests = 0, plainRequests = 0, ids = 0, accepted = 0
    /// 202 given, never reserved or rejected.
    var lost = 0
    var doubleReserved = 0
    /// Orders whose `sends` field says the notifier recorded more than one send.
    var doubleRecorded = 0
    /// Orders the sender logged more than once, and of those the ones a lost record explains
    /// (allowed only when the scenario cut the notifier's record step: at-least-once sending).
    var doubleLogged = 0, doubleLoggedAfterLostRecord = 0
    /// Orders with more recorded sends than logged ones: a record without a send.
    var recordedNotLogged = 0
    var unnotified = 0
    /// Decided with a payload no request that could have had an effect (202, 503, timeout) sent.
    var foreignPayload = 0
    /// 202 for a payload other than the decided one: a 202 promises the order is decided with
    /// exactly its payload, whatever else was sent for the id and however that ended.
    var ackedOtherPayload = 0
    /// Answers that contradict the id's state when sent: keyed 400/500s, plain 422s, and after a
    /// 202 anything but the replayed 202 (same payload, keyed), 422 (other payload, keyed) or 409
    /// (plain); 503 is always possible.
    var unexpectedAnswers = 0
    /// Ids without a 202: with a timed-out request, ordered, and ordered though every request
    /// was refused or answered without effect (no 503, no timeout).
    var noAckTimedOut = 0, noAckOrdered = 0, noAckOrderedUnexplained = 0
    var inventoryErrors: [String] = []
    var reservedUnits = 0
    /// Units reserved per SKU according to the orders, for the inventory check.
    private var reservedBySKU: [String: Int] = [:]
    /// The first send of the ledger, from which examples give times.
    private let origin: Double
    /// The inventory sampled during the load; nil when the run did not sample.
    var samples: InventorySamples?
    /// Claim times against the requests' deadlines; nil when the run did not ask for it.
    var deadline: DeadlineAudit?
    /// Ids still on their way (acknowledged and not decided, or decided and not notified), which
    /// the reconciliation reads again while it waits for quiescence.
    var unsettledIDs: [String] = []
    /// A few offending ids with what was seen, for the operator.
    var examples: [String] = []

    /// Sampling proves nothing without samples, and a negative level is the violation itself.
    var samplingViolations: Int {
        guard let samples else { return 0 }
        return samples.samples == 0 || (samples.minimum ?? 0) < 0 ? 1 : 0
    }

    var violations: Int {
        lost + doubleReserved + doubleRecorded + (doubleLogged - doubleLoggedAfterLostRecord) + recordedNotLogged
            + unnotified + foreignPayload + ackedOtherPayload + unexpectedAnswers + noAckOrderedUnexplained
            + inventoryErrors.count + samplingViolations + (deadline?.late ?? 0)
    }

    /// Nothing still on its way: every acknowledged order decided and every decided one notified.
    var settled: Bool { lost == 0 && unnotified == 0 }

    /// Checks every id of `ledger` against `stored`. `recordFaults`: the scenario may have
    /// interrupted the notifier between a send and its record, so a second send of an order
    /// whose first send was never recorded is at-least-once delivery, not a violation.
    /// `deadline`, when given, audits each taken order's claim time.
    init(ledger: [LedgerEntry], stored: [String: StoredOrder], recordFaults: Bool, deadline: DeadlineAudit? = nil) {
        let byID = Dictionary(grouping: ledger, by: \.id)
        origin = ledger.map(\.sentAtMs).min() ?? 0
        self.deadline = deadline
        requests = ledger.count
        plainRequests = ledger.count { !$0.keyed }
        ids = byID.count
        var reservedBySKU: [String: Int] = [:]
        for (id, requests) in byID.sorted(by: { $0.key < $1.key }) {
            let order = stored[id] ?? StoredOrder()
            let acks = requests.filter { $0.status == 202 }
            if !acks.isEmpty { accepted += 1 }
            if !acks.isEmpty, !order.decided { note(\.lost, id, "202 given, state \(order.state ?? "none")") }
            if order.reservations > 1 { note(\.doubleReserved, id, "reserved \(order.reservations) times") }
            if order.recordedSends > 1 { note(\.doubleRecorded, id, "\(order.recordedSends) sends recorded") }
            if order.loggedSends > 1 {
                doubleLogged += 1
                if recordFaults, order.recordedSends <= 1 {
                    doubleLoggedAfterLostRecord += 1
                } else {
                    example(id, "sender logged \(order.loggedSends) sends, \(order.recordedSends) recorded")
                }
            }
            if order.recordedSends > order.loggedSends {
                note(\.recordedNotLogged, id, "\(order.recordedSends) sends recorded, \(order.loggedSends) logged")
            }
            if order.decided, !order.sent { note(\.unnotified, id, "\(order.state ?? "") but not notified") }
            if (!acks.isEmpty && !order.decided) || (order.decided && !order.sent) { unsettledIDs.append(id) }
            if order.state != nil, let problem = self.deadline?.check(requests, claimUntilMs: order.claimUntilMs) { example(id, problem) }
            checkPayloads(id, requests, acks, order)
            checkAnswers(id, requests)
            if acks.isEmpty {
                let mayHaveEffect = requests.contains { $0.outcome == .indeterminate || $0.status == 503 }
                if requests.contains(where: { $0.outcome == .indeterminate }) { noAckTimedOut += 1 }
                if order.state != nil {
                    noAckOrdered += 1
                    if !mayHaveEffect { note(\.noAckOrderedUnexplained, id, "ordered though no request got 202, 503 or timed out") }
                }
            }
            if order.decided, let sku = order.sku, let qty = order.qty {
                reservedBySKU[sku, default: 0] += qty * order.reservations
            }
        }
        self.reservedBySKU = reservedBySKU
    }

    /// Compares the end levels with `initialStock` minus what the orders reserved.
    mutating func checkInventory(levels: [String: Int?], initialStock: Int) {
        for (sku, level) in levels.sorted(by: { $0.key < $1.key }) {
            let reserved = reservedBySKU[sku] ?? 0
            reservedUnits += reserved
            guard let level else { inventoryErrors.append("\(sku): missing"); continue }
            if level < 0 { inventoryErrors.append("\(sku): negative (\(level))") }
            if level != initialStock - reserved { inventoryErrors.append("\(sku): \(level) != \(initialStock) - \(reserved)") }
        }
    }

    private mutating func checkPayloads(_ id: String, _ requests: [LedgerEntry], _ acks: [LedgerEntry], _ order: StoredOrder) {
        guard order.decided, let sku = order.sku, let qty = order.qty else { return }
        let carriesDecided = { (entry: LedgerEntry) in entry.sku == sku && entry.qty == qty }
        let effective = requests.filter { $0.status == 202 || $0.status == 503 || $0.outcome == .indeterminate }
        if !effective.contains(where: carriesDecided) {
            note(\.foreignPayload, id, "decided \(qty) x \(sku), which no effective request sent")
        }
        for ack in acks where !carriesDecided(ack) {
            note(\.ackedOtherPayload, id, "202 for \(ack.qty) x \(ack.sku), decided \(qty) x \(sku)")
        }
    }

    private mutating func checkAnswers(_ id: String, _ requests: [LedgerEntry]) {
        for request in requests {
            guard let status = request.status, status != 503 else { continue }
            let possible: Set<Int> = request.keyed ? [202, 409, 422] : [202, 409]
            var expected = possible
            // The earliest 202 answered before this request was sent fixes the id's state.
            if let prior = requests.filter({ $0.status == 202 && $0.finishedAtMs < request.sentAtMs }).min(by: { $0.finishedAtMs < $1.finishedAtMs }) {
                let samePayload = prior.sku == request.sku && prior.qty == request.qty
                expected = request.keyed ? (samePayload ? [202] : [422]) : [409]
            }
            if !expected.contains(status) {
                note(\.unexpectedAnswers, id, "\(request.kind.rawValue) (\(request.keyed ? "keyed" : "plain")) at \(String(format: "%.2f", (request.sentAtMs - origin) / 1000)) s got \(status), expected \(expected.sorted())")
            }
        }
    }

    private mutating func note(_ counter: WritableKeyPath<Self, Int>, _ id: String, _ what: String) {
        self[keyPath: counter] += 1
        example(id, what)
    }

    private mutating func example(_ id: String, _ what: String) {
        if examples.count < 8 { examples.append("\(id): \(what)") }
    }
}
