import Bytes
import Foundation
import Transport

/// The client side: measures the server's RSS, opens the idle connections, serves load next to
/// them, then checks that every idle connection still answers.
struct IdleBenchClient {
    struct Settings {
        var name: String
        var port: Int
        var serverPID: Int
        var connections: Int
        var openConcurrency: Int
        var loadConnections: Int
        var loadSeconds: Int
        /// Path answering the server's connection count, or empty when the server has none.
        var countPath: String
    }

    /// Outcome of a load phase.
    struct LoadResult {
        var succeeded = 0
        var failed = 0
        var firstError: String?
        /// Latency of each successful request, in nanoseconds.
        var latencies: [Int] = []
    }

    let settings: Settings
    let timeout = Duration.seconds(30)
    let order: ByteBuffer

    init(_ settings: Settings) {
        self.settings = settings
        let body = #"{"id":"idle-bench","sku":"bench-sku","qty":1}"#
        order = ByteBuffer(string: "POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    func run() async throws {
        let name = settings.name
        let n = settings.connections
        // Warms the server (threads, allocator arenas, caches) so the baseline is its steady state
        // and the difference below is the idle connections alone.
        _ = await load(seconds: 1)
        try await Task.sleep(for: .milliseconds(500))
        let before = try residentKiB()

        let start = ContinuousClock.now
        let (held, openFailures, openError) = await openIdleConnections()
        let openTime = ContinuousClock.now - start
        print("\(name): opened \(held.count)/\(n) idle keep-alive connections in \(format(openTime)), "
            + "\(openFailures) failed\(openError.map { " (first: \($0))" } ?? "")")
        try await Task.sleep(for: .seconds(1))
        let with = try residentKiB()
        let perConnection = held.isEmpty ? 0 : Double(with - before) * 1024 / Double(held.count)
        print("\(name): server RSS \(kib(before)) before, \(kib(with)) with \(held.count) idle: "
            + String(format: "%.0f bytes (%.1f KiB) per idle connection", perConnection, perConnection / 1024))

        let result = await load(seconds: settings.loadSeconds)
        let sorted = result.latencies.sorted()
        let rps = Double(result.succeeded) / Double(max(settings.loadSeconds, 1))
        let p50 = percentile(sorted, 0.50), p99 = percentile(sorted, 0.99)
        let afterLoad = try residentKiB()
        print("\(name): with \(held.count) idle, \(settings.loadConnections) connections for \(settings.loadSeconds) s: "
            + "\(result.succeeded) ok, \(result.failed) errors\(result.firstError.map { " (first: \($0))" } ?? ""), "
            + String(format: "%.0f req/s, p50 %.3f ms, p99 %.3f ms; server RSS then %@", rps, p50, p99, kib(afterLoad)))

        var reported = -1
        if !settings.countPath.isEmpty {
            reported = try await serverConnectionCount()
            print("\(name): server reports \(reported) open connections (\(held.count) idle + this query's)")
        }
        let (answered, checkError) = await recheck(held)
        print("\(name): \(answered)/\(held.count) idle connections answered a second request"
            + (checkError.map { " (first failure: \($0))" } ?? ""))

        print("RESULT name=\(name) connections=\(n) opened=\(held.count) rss_before_kib=\(before) rss_with_kib=\(with) "
            + String(format: "per_conn_bytes=%.0f ", perConnection)
            + "load_ok=\(result.succeeded) load_errors=\(result.failed) "
            + String(format: "rps=%.0f p50_ms=%.3f p99_ms=%.3f ", rps, p50, p99)
            + "server_count=\(reported) still_open=\(answered)")
        for connection in held { connection.connection.close() }
    }

    /// Opens `connections` connections, at most `openConcurrency` at a time, each exchanging one
    /// request; returns those that got their 202, still open.
    func openIdleConnections() async -> (held: [BenchHTTPConnection], failures: Int, firstError: String?) {
        await withTaskGroup(of: Result<BenchHTTPConnection, Error>.self) { group in
            var held: [BenchHTTPConnection] = []
            held.reserveCapacity(settings.connections)
            var failures = 0
            var firstError: String?
            var started = 0
            func startNext() {
                guard started < settings.connections else { return }
                started += 1
                group.addTask { [self] in
                    do {
                        let connection = try await TCPConnection.connect(host: "127.0.0.1", port: settings.port, timeout: timeout)
                        var client = BenchHTTPConnection(connection: connection)
                        let response = try await client.exchange(order, timeout: timeout)
                        guard response.status == 202 else {
                            connection.close()
                            throw BenchClientError.malformedResponse("status \(response.status)")
                        }
                        client.releaseBuffer()
                        return .success(client)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            for _ in 0..<settings.openConcurrency { startNext() }
            for await result in group {
                switch result {
                case .success(let client): held.append(client)
                case .failure(let error):
                    failures += 1
                    if firstError == nil { firstError = "\(error)" }
                }
                startNext()
            }
            return (held, failures, firstError)
        }
    }

    /// Keeps `loadConnections` keep-alive connections sending orders back to back for `seconds`.
    func load(seconds: Int) async -> LoadResult {
        let deadline = ContinuousClock.now + .seconds(seconds)
        return await withTaskGroup(of: LoadResult.self) { group in
            for _ in 0..<settings.loadConnections {
                group.addTask { [self] in
                    var result = LoadResult()
                    var client: BenchHTTPConnection?
                    while ContinuousClock.now < deadline {
                        do {
                            if client == nil {
                                client = BenchHTTPConnection(connection: try await TCPConnection.connect(
                                    host: "127.0.0.1", port: settings.port, timeout: timeout))
                            }
                            let sent = ContinuousClock.now
                            let response = try await client!.exchange(order, timeout: timeout)
                            let elapsed = ContinuousClock.now - sent
                            guard response.status == 202 else { throw BenchClientError.malformedResponse("status \(response.status)") }
                            result.succeeded += 1
                            result.latencies.append(Int(elapsed.components.seconds) * 1_000_000_000
                                + Int(elapsed.components.attoseconds / 1_000_000_000))
                        } catch {
                            result.failed += 1
                            if result.firstError == nil { result.firstError = "\(error)" }
                            client?.connection.close()
                            client = nil
                        }
                    }
                    client?.connection.close()
                    return result
                }
            }
            var total = LoadResult()
            for await part in group {
                total.succeeded += part.succeeded
                total.failed += part.failed
                total.firstError = total.firstError ?? part.firstError
                total.latencies += part.latencies
            }
            return total
        }
    }

    /// Sends one more order on every held connection, `openConcurrency` at a time; returns how
    /// many were answered 202.
    func recheck(_ held: [BenchHTTPConnection]) async -> (answered: Int, firstError: String?) {
        await withTaskGroup(of: String?.self) { group in
            var answered = 0
            var firstError: String?
            var next = 0
            func startNext() {
                guard next < held.count else { return }
                var client = held[next]
                next += 1
                group.addTask { [self] in
                    do {
                        let response = try await client.exchange(order, timeout: timeout)
                        return response.status == 202 ? nil : "status \(response.status)"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            for _ in 0..<settings.openConcurrency { startNext() }
            for await failure in group {
                if let failure { firstError = firstError ?? failure } else { answered += 1 }
                startNext()
            }
            return (answered, firstError)
        }
    }

    /// The connection count the server reports at `countPath`, asked on a connection of its own.
    func serverConnectionCount() async throws -> Int {
        let connection = try await TCPConnection.connect(host: "127.0.0.1", port: settings.port, timeout: timeout)
        defer { connection.close() }
        var client = BenchHTTPConnection(connection: connection)
        let request = ByteBuffer(string: "GET \(settings.countPath) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let response = try await client.exchange(request, timeout: timeout)
        let text = response.body.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard response.status == 200, let count = Int(text) else {
            throw BenchClientError.malformedResponse("connection count: status \(response.status), body \(text)")
        }
        return count
    }

    /// The server's resident set size in KiB, from VmRSS in /proc/PID/status.
    func residentKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(settings.serverPID)/status", encoding: .utf8)
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            if let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first, let kib = Int(value) {
                return kib
            }
        }
        throw BenchClientError.malformedResponse("no VmRSS for pid \(settings.serverPID)")
    }
}

/// The `fraction` percentile of sorted nanosecond values, in milliseconds.
func percentile(_ sorted: [Int], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let index = min(Int((Double(sorted.count) * fraction).rounded(.up)) - 1, sorted.count - 1)
    return Double(sorted[max(index, 0)]) / 1_000_000
}

func kib(_ value: Int) -> String {
    String(format: "%.1f MiB", Double(value) / 1024)
}

func format(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    return String(format: "%.2f s", Double(seconds) + Double(attoseconds) / 1e18)
}
