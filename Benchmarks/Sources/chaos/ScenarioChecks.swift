/// The checks of a scenario as a whole, from what the script and the load measured: recovery
/// after the fault was lifted (the probe's times against their bounds), the services' processes
/// across the scenario (no restart unless the scenario made it), and the gateway's peak memory.
struct ScenarioChecks {
    var recovery: RecoveryResult?
    var acceptBound: Double
    var notifyBound: Double
    /// `role=pid` before and after the scenario; `role=gone` after for a process that exited.
    var pidsBefore: [String: String] = [:]
    var pidsAfter: [String: String] = [:]
    /// Roles the scenario itself restarts (a kill, a failover), exempt from the process check.
    var restarted: Set<String> = []
    var rss: RSSSamples?
    var rssLimitKiB: Int

    var rows: [TableRow] {
        var rows: [TableRow] = []
        if let recovery {
            let accepted = recovery.acceptedAfter
            rows.append(TableRow(
                name: "recovery: probe 202 after the fault (bound \(Self.format(acceptBound)) s)",
                value: accepted.map { Self.format($0) + " s" } ?? "none within \(Self.format(recovery.gaveUpAfter)) s",
                ok: accepted.map { $0 <= acceptBound } ?? false
            ))
            let notified = recovery.notifiedAfter
            rows.append(TableRow(
                name: "recovery: probe notified after the fault (bound \(Self.format(notifyBound)) s)",
                value: notified.map { Self.format($0) + " s" } ?? (accepted == nil ? "no order accepted" : "none within \(Self.format(recovery.gaveUpAfter)) s"),
                ok: notified.map { $0 <= notifyBound } ?? false
            ))
        }
        if !pidsBefore.isEmpty {
            let changed = pidsBefore.keys.sorted().filter { !restarted.contains($0) && pidsAfter[$0] != pidsBefore[$0] }
            var value = changed.isEmpty ? "same pids" : changed.map { "\($0) \(pidsBefore[$0]!) -> \(pidsAfter[$0] ?? "?")" }.joined(separator: ", ")
            if !restarted.isEmpty { value += " (\(restarted.sorted().joined(separator: ", ")) restarted by the scenario)" }
            rows.append(TableRow(name: "services kept their processes (no restart)", value: value, ok: changed.isEmpty))
        }
        if let rss {
            let peak = rss.peakKiB.map { String(format: "peak %.1f MiB", Double($0) / 1024) } ?? "no reading"
            rows.append(TableRow(
                name: "gateway RSS (bound \(rssLimitKiB / 1024) MiB)",
                value: "\(peak) in \(rss.samples) samples",
                ok: rss.samples > 0 && (rss.peakKiB ?? 0) <= rssLimitKiB
            ))
        }
        return rows
    }

    /// `role=pid role=pid ...` (spaces or commas) into a dictionary.
    static func pids(_ text: String?) -> [String: String] {
        var pids: [String: String] = [:]
        for pair in (text ?? "").split(whereSeparator: { $0 == " " || $0 == "," }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { pids[String(parts[0])] = String(parts[1]) }
        }
        return pids
    }

    private static func format(_ seconds: Double) -> String {
        seconds.rounded() == seconds ? String(format: "%.0f", seconds) : String(format: "%.1f", seconds)
    }
}
