import CommandLineOptions
import Foundation

/// `chaos load`: an open-loop generator. Requests start on a fixed schedule whatever the gateway
/// does, so a stalled gateway shows up as timeouts rather than as a quietly lower rate.
struct LoadCommand {
    /// The gateways, taking the requests in turn (a retry may reach another gateway than its
    /// first request did).
    var gateways: [(host: String, port: Int)]
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
    /// A file holding the gateway's pid, whose resident memory is then sampled too.
    var rssPIDFile: String?

    init(_ options: ParsedCommandLine) throws(CommandLineError) {
        gateways = try options.endpoints("gateway")
        rate = try options.double("rate")
        duration = try options.double("duration")
        timeout = .milliseconds(try options.int("timeout-ms"))
        retryFraction = try options.double("retry-fraction")
        plainFraction = try options.double("plain-fraction")
        skus = try options.int("skus")
        ledgerPath = try options.string("ledger")
        nonce = options.optionalString("nonce") ?? String(UInt32.random(in: 0...UInt32.max), radix: 36)
        switch (options.optionalString("redis"), options.optionalString("samples")) {
        case (let url?, let path?): sampling = (url, path)
        case (nil, nil): sampling = nil
        default: throw CommandLineError("--redis and --samples go together")
        }
        rssPIDFile = options.optionalString("rss-pid-file")
        if rssPIDFile != nil, sampling == nil { throw CommandLineError("--rss-pid-file needs --samples (and --redis)") }
        guard rate > 0, duration > 0, skus > 0, (0...0.5).contains(retryFraction), (0...1).contains(plainFraction) else {
            throw CommandLineError("need --rate > 0, --duration > 0, --skus > 0, --retry-fraction in 0...0.5, --plain-fraction in 0...1")
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
        let rssSampler = rssPIDFile.map { path in Task { await RSSSampler(pidFile: path).run() } }
        let clock = ContinuousClock()
        let start = clock.now
        let (gateways, timeout) = (gateways, timeout)
        var ledger = await withTaskGroup(of: LedgerEntry.self) { group in
            for (index, request) in planned.enumerated() {
                let (host, port) = gateways[index % gateways.count]
                try? await clock.sleep(until: start + .milliseconds(Int(request.offset * 1000)))
                group.addTask {
                    let sent = clock.now
                    let sentAtMs = LedgerEntry.wallClockMs()
                    let result = await OneShotHTTP.exchange(
                        host: host, port: port, request: OneShotHTTP.orderRequest(id: request.id, sku: request.sku, qty: request.qty, keyed: request.keyed),
                        timeout: timeout
                    )
                    return LedgerEntry((request.id, request.sku, request.qty), kind: request.kind, keyed: request.keyed, result: result,
                                       sentAtMs: sentAtMs, latency: sent.duration(to: clock.now))
                }
            }
            return await group.reduce(into: [LedgerEntry]()) { $0.append($1) }
        }
        ledger.sort { $0.sentAtMs < $1.sentAtMs }
        try LedgerEntry.write(ledger, to: ledgerPath)
        var byStatus: [String: Int] = [:]
        for entry in ledger { byStatus[entry.status.map { "\($0)" } ?? entry.outcome.rawValue, default: 0] += 1 }
        let summary = byStatus.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let latencies = ledger.filter { $0.status != nil }.map(\.latencyMs).sorted()
        let percentile = { (p: Double) in latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print("load: \(ledger.count) requests in \(String(format: "%.1f", Self.seconds(start.duration(to: clock.now)))) s: \(summary); "
            + "answered in p50 \(String(format: "%.0f", percentile(0.5))) ms, p99 \(String(format: "%.0f", percentile(0.99))) ms")
        if let sampler, let path = sampling?.path {
            sampler.cancel()
            rssSampler?.cancel()
            let samples = LoadSamples(inventory: try await sampler.value, gatewayRSS: await rssSampler?.value)
            try samples.write(to: path)
            let inventory = samples.inventory
            print("load: inventory sampled \(inventory.samples) times (\(inventory.failures) failed rounds), minimum \(inventory.minimum.map(String.init) ?? "none")")
            if let rss = samples.gatewayRSS {
                print("load: gateway RSS sampled \(rss.samples) times (\(rss.failures) without a reading), peak \(rss.peakKiB.map { "\($0 / 1024) MiB" } ?? "none")")
            }
        }
        return 0
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
