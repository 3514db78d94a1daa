import Glibc

/// The gateway's resident memory as seen while the load ran: the reconciliation's evidence that
/// the gateway stayed within its memory bound under a hung or refusing dependency.
struct RSSSamples: Codable, Sendable {
    /// Rounds in which the process's `VmRSS` was read.
    var samples = 0
    /// Rounds without a reading: no pid file yet, or the process gone (a restart under way).
    var failures = 0
    /// The highest `VmRSS` seen, in KiB, and the process that had it; nil before the first sample.
    var peakKiB: Int?
    var peakPID: Int?

    mutating func record(kiB: Int, pid: Int) {
        samples += 1
        if peakKiB.map({ kiB > $0 }) ?? true {
            peakKiB = kiB
            peakPID = pid
        }
    }
}

/// Reads the `VmRSS` of the process named by a pid file every `interval` until cancelled. The
/// file is read again each round, so a process restarted under a new pid is followed.
struct RSSSampler: Sendable {
    var pidFile: String
    var interval: Duration = .milliseconds(100)

    func run() async -> RSSSamples {
        var result = RSSSamples()
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            if let pid = Self.readText(pidFile).flatMap({ Int($0.filter(\.isNumber)) }),
               let kiB = Self.residentKiB(pid: pid) {
                result.record(kiB: kiB, pid: pid)
            } else {
                result.failures += 1
            }
            next = max(next + interval, clock.now)
            try? await clock.sleep(until: next)
        }
        return result
    }

    /// `VmRSS` of `pid` in KiB, from `/proc/<pid>/status`; nil when the process is gone.
    static func residentKiB(pid: Int) -> Int? {
        guard let status = readText("/proc/\(pid)/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.dropFirst("VmRSS:".count).filter(\.isNumber))
    }

    /// A small file read whole with plain reads: files under /proc report a size of zero, which
    /// readers that trust `stat` take for empty.
    private static func readText(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
