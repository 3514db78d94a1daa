import Foundation

/// `chaos load`: an open-loop generator. Requests start on a fixed schedule whatever the gateway
/// does, so a stalled gateway shows up as timeouts rather than as a quietly lower rate.
struct LoadCommand {
    var host: String
    var port: Int
    var rate: Double
    var duration: Double
    var timeout: Duration
    var retryFraction: Double
    /// Share of ids sent without `Idempotency-Key` (first request and retries), so the gateway's
    /// dedup by order id is exercised under faults as well as the keyed path.
    var plainFraction: Double
    var skus: Int
    var ledgerPath: String
    var nonce: String
    /// Where to sample `inventory:<sku>` during the load and write what was seen; both or neither.
    var sampling: (redisURL: String, path: String)?

    init(_ options: Options) throws(Options.Invalid) {
        (host, port) = try options.endpoint("gateway", default: "127.0.0.1:8080")
        rate = try options.double("rate", default: 100)
        duration = try options.double("duration", default: 10)
        timeout = .milliseconds(try options.int("timeout-ms", default: 5000))
        retryFraction = try options.double("retry-fraction", default: 0.08)
        plainFraction = try options.double("plain-fraction", default: 0.3)
        skus = try options.int("skus", default: 4)
        ledgerPath = try options.string("ledger")
        nonce = options.optionalString("nonce") ?? String(UInt32.random(in: 0...UInt32.max), radix: 36)
        switch (options.optionalString("redis"), options.optionalString("samples")) {
        case (let url?, let path?): sampling = (url, path)
        case (nil, nil): sampling = nil
        default: throw Options.Invalid(description: "--redis and --samples go together")
        }
        guard rate > 0, duration > 0, skus > 0, (0...0.5).contains(retryFraction), (0...1).contains(plainFraction) else {
            throw Options.Invalid(description: "need --rate > 0, --duration > 0, --skus > 0, --retry-fraction in 0...0.5, --plain-fraction in 0...1")
        }
    }

    /// One planned request.
    private struct Planned: Sendable {
        var id: String
        var sku: String
        var qty: Int
        var kind: LedgerEntry.Kind
        var keyed: Bool
        var offset: Double
    }

    /// Plans every request up front, so the schedule costs nothing while the clock runs.
    private func plan() -> [Planned] {
        let count = Int(rate * duration)
        var planned: [Planned] = []
        planned.reserveCapacity(count)
        var firsts: [Planned] = []
        for index in 0..<count {
            let offset = Double(index) / rate
            if !firsts.isEmpty, Double.random(in: 0..<1) < retryFraction {
                var retry = firsts.randomElement()!
                retry.offset = offset
                if Bool.random() {
                    retry.kind = .retrySamePayload
                } else {
                    retry.kind = .retryOtherPayload
                    retry.qty = retry.qty % 3 + 1
                }
                planned.append(retry)
            } else {
                let first = Planned(
                    id: "\(nonce)-\(index)", sku: "chaos-sku-\(Int.random(in: 0..<skus))", qty: Int.random(in: 1...3),
                    kind: .first, keyed: Double.random(in: 0..<1) >= plainFraction, offset: offset
                )
                firsts.append(first)
                planned.append(first)
            }
        }
        return planned
    }

    func run() async throws -> Int32 {
        let planned = plan()
        let skuNames = (0..<skus).map { "chaos-sku-\($0)" }
        let sampler = sampling.map { sampling in
            Task { try await InventorySampler(redisURL: sampling.redisURL, skus: skuNames).run() }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let (host, port, timeout) = (host, port, timeout)
        var ledger = await withTaskGroup(of: LedgerEntry.self) { group in
            for request in planned {
                try? await clock.sleep(until: start + .milliseconds(Int(request.offset * 1000)))
                group.addTask {
                    let sent = clock.now
                    let result = await OneShotHTTP.exchange(
                        host: host, port: port, request: OneShotHTTP.orderRequest(id: request.id, sku: request.sku, qty: request.qty, keyed: request.keyed),
                        timeout: timeout
                    )
                    let latency = sent.duration(to: clock.now)
                    let (outcome, status): (LedgerEntry.Outcome, Int?) = switch result {
                    case .status(let code): (.answered, code)
                    case .refused: (.refused, nil)
                    case .indeterminate: (.indeterminate, nil)
                    }
                    let entry = LedgerEntry(
                        id: request.id, sku: request.sku, qty: request.qty, kind: request.kind, keyed: request.keyed,
                        outcome: outcome, status: status,
                        time: Self.seconds(start.duration(to: sent)), latencyMs: Self.seconds(latency) * 1000
                    )
                    return entry
                }
            }
            return await group.reduce(into: [LedgerEntry]()) { $0.append($1) }
        }
        ledger.sort { $0.time < $1.time }
        try LedgerEntry.write(ledger, to: ledgerPath)
        var byStatus: [String: Int] = [:]
        for entry in ledger { byStatus[entry.status.map { "\($0)" } ?? entry.outcome.rawValue, default: 0] += 1 }
        let summary = byStatus.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        print("load: \(ledger.count) requests in \(String(format: "%.1f", Self.seconds(start.duration(to: clock.now)))) s: \(summary)")
        if let sampler, let path = sampling?.path {
            sampler.cancel()
            let samples = try await sampler.value
            try samples.write(to: path)
            print("load: inventory sampled \(samples.samples) times (\(samples.failures) failed rounds), minimum \(samples.minimum.map(String.init) ?? "none")")
        }
        return 0
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
