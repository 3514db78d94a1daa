import Bytes
import CommandLineOptions
import Foundation
import Synchronization
import Transport

/// `chaos abuse`: hostile HTTP against a running gateway. Each check must be answered as designed
/// (status and close), while a side client keeps posting orders throughout; its success rate and
/// p99 are part of the verdict.
struct AbuseCommand {
    var host: String
    var port: Int
    var idleConnections: Int
    var pipelined: Int

    init(_ options: ParsedCommandLine) throws(CommandLineError) {
        (host, port) = try options.endpoint("gateway")
        idleConnections = try options.int("idle-connections")
        pipelined = try options.int("pipelined")
    }

    /// The side client's p99 must stay under this while the checks run: generous, since the
    /// checks load the same machine, but far below the client's 5 s timeout.
    static let sideP99LimitMs = 500

    /// One check's verdict.
    private struct Verdict {
        var name: String
        var seen: String
        var ok: Bool
    }

    func run() async throws -> Int32 {
        let side = SideClient(host: host, port: port)
        let sideTask = Task { await side.run() }
        try await Task.sleep(for: .seconds(1))
        var verdicts: [Verdict] = []
        let crlf = "\r\n"
        let smuggling: [(String, String)] = [
            ("CL + TE", "POST /orders HTTP/1.1\(crlf)Host: a\(crlf)Content-Length: 4\(crlf)Transfer-Encoding: chunked\(crlf)\(crlf)0\(crlf)\(crlf)"),
            ("duplicate CL", "POST /orders HTTP/1.1\(crlf)Host: a\(crlf)Content-Length: 2\(crlf)Content-Length: 3\(crlf)\(crlf){}x"),
            ("obs-fold", "GET /livez HTTP/1.1\(crlf)Host: a\(crlf)X-A: b\(crlf) folded\(crlf)\(crlf)"),
            ("bare LF", "GET /livez HTTP/1.1\nHost: a\n\n"),
            ("TE not chunked last", "POST /orders HTTP/1.1\(crlf)Host: a\(crlf)Transfer-Encoding: chunked, identity\(crlf)\(crlf)"),
            ("space before colon", "GET /livez HTTP/1.1\(crlf)Host : a\(crlf)\(crlf)"),
        ]
        for (name, request) in smuggling {
            verdicts.append(await expect(name, send: request, statuses: [400, 501]))
        }
        verdicts.append(await expect("URI of 9 KiB", send: "GET /\(String(repeating: "a", count: 9 * 1024)) HTTP/1.1\(crlf)Host: a\(crlf)\(crlf)", statuses: [414]))
        verdicts.append(await expect("headers of 20 KiB", send: "GET /livez HTTP/1.1\(crlf)Host: a\(crlf)X-Big: \(String(repeating: "b", count: 20 * 1024))\(crlf)\(crlf)", statuses: [431]))
        verdicts.append(await expect("body of 9 MB declared", send: "POST /orders HTTP/1.1\(crlf)Host: a\(crlf)Content-Length: 9000000\(crlf)\(crlf){", statuses: [413]))
        verdicts.append(await oversizedChunkedBody())
        verdicts.append(await slowloris())
        verdicts.append(await idle())
        verdicts.append(await pipelinedFlood())
        try await Task.sleep(for: .seconds(1))
        // Stopped, not cancelled: a cancellation would cut the request in flight and count it failed.
        side.stop()
        let stats = await sideTask.value
        verdicts.append(Verdict(
            name: "side client during all checks",
            seen: "\(stats.accepted)/\(stats.total) got 202\(stats.othersDescription), p99 \(String(format: "%.1f", stats.p99Ms)) ms (limit \(Self.sideP99LimitMs))",
            ok: stats.total > 0 && stats.accepted == stats.total && stats.p99Ms <= Double(Self.sideP99LimitMs)
        ))
        print("== http abuse against \(host):\(port)")
        for verdict in verdicts {
            print("  \(verdict.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(verdict.seen.padding(toLength: 52, withPad: " ", startingAt: 0)) \(verdict.ok ? "ok" : "FAIL")")
        }
        let failed = verdicts.filter { !$0.ok }.count
        print("  result: \(failed == 0 ? "PASS" : "FAIL (\(failed) check(s))")")
        return failed == 0 ? 0 : 1
    }

    /// Sends `request`, then expects one of `statuses` and the connection closed within 5 s.
    private func expect(_ name: String, send request: String, statuses: Set<Int>) async -> Verdict {
        do {
            let connection = try await TCPConnection.connect(host: host, port: port, timeout: .seconds(5))
            defer { connection.close() }
            var bytes = ByteBuffer()
            bytes.writeString(request)
            try? await connection.write(bytes, timeout: .seconds(5))
            let (status, closed) = await Self.readUntilClose(connection, within: .seconds(5))
            let seen = "\(status.map(String.init) ?? "no status"), \(closed ? "closed" : "left open")"
            return Verdict(name: name, seen: seen, ok: status.map(statuses.contains) == true && closed)
        } catch {
            return Verdict(name: name, seen: "connect failed: \(error)", ok: false)
        }
    }

    /// The first response's status and whether the peer closed (EOF or reset) within `limit`.
    private static func readUntilClose(_ connection: TCPConnection, within limit: Duration) async -> (Int?, Bool) {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var response = ByteBuffer()
        while clock.now < deadline {
            do {
                if try await connection.read(into: &response, timeout: deadline - clock.now) == 0 {
                    return (OneShotHTTP.statusCode(in: response), true)
                }
            } catch TransportError.Code.timedOut {
                break
            } catch {
                return (OneShotHTTP.statusCode(in: response), true)
            }
        }
        return (OneShotHTTP.statusCode(in: response), false)
    }

    /// Streams a chunked body past the gateway's 8 MiB limit, no length declared up front: it
    /// must count the de-chunked bytes as they arrive, answer 413 and close, not buffer them all.
    /// The answer is read while the body is still being written, so it is seen even if the
    /// gateway's close resets the connection under the unread rest.
    private func oversizedChunkedBody() async -> Verdict {
        let name = "body of 9 MB chunked"
        guard let connection = try? await TCPConnection.connect(host: host, port: port, timeout: .seconds(5)) else {
            return Verdict(name: name, seen: "connect failed", ok: false)
        }
        defer { connection.close() }
        let reader = Task { await Self.readUntilClose(connection, within: .seconds(15)) }
        var head = ByteBuffer()
        head.writeString("POST /orders HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunkSize = 64 * 1024
        var chunk = ByteBuffer()
        chunk.writeString("\(String(chunkSize, radix: 16))\r\n")
        chunk.writeBytes([UInt8](repeating: UInt8(ascii: "x"), count: chunkSize))
        chunk.writeString("\r\n")
        var sent = 0
        if (try? await connection.write(head, timeout: .seconds(5))) != nil {
            while sent < 9_000_000, (try? await connection.write(chunk, timeout: .seconds(5))) != nil { sent += chunkSize }
        }
        let (status, closed) = await reader.value
        let seen = "\(status.map(String.init) ?? "no status"), \(closed ? "closed" : "left open") after \(sent / 1024) KiB"
        return Verdict(name: name, seen: seen, ok: status == 413 && closed)
    }

    /// Trickles a header one byte every 500 ms; the gateway must answer 408 or close within 20 s.
    private func slowloris() async -> Verdict {
        let clock = ContinuousClock()
        let start = clock.now
        guard let connection = try? await TCPConnection.connect(host: host, port: port, timeout: .seconds(5)) else {
            return Verdict(name: "slowloris", seen: "connect failed", ok: false)
        }
        defer { connection.close() }
        let header = Array("GET /livez HTTP/1.1\r\nHost: a\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "s"), count: 100)
        for byte in header {
            var one = ByteBuffer()
            one.writeInteger(byte)
            if (try? await connection.write(one, timeout: .seconds(1))) == nil { break }
            let (status, closed) = await Self.readUntilClose(connection, within: .milliseconds(500))
            if closed {
                let elapsed = clock.now - start
                return Verdict(name: "slowloris", seen: "\(status.map(String.init) ?? "no status"), closed after \(elapsed.components.seconds) s", ok: status == nil || status == 408)
            }
            if clock.now - start > .seconds(20) { break }
        }
        return Verdict(name: "slowloris", seen: "still open after \((clock.now - start).components.seconds) s", ok: false)
    }

    /// Opens `idleConnections` connections that send nothing, checks a fresh request is served
    /// while they are held, then releases them.
    private func idle() async -> Verdict {
        var held: [TCPConnection] = []
        held.reserveCapacity(idleConnections)
        var failures = 0
        for _ in 0..<idleConnections {
            if let connection = try? await TCPConnection.connect(host: host, port: port, timeout: .seconds(5)) {
                held.append(connection)
            } else {
                failures += 1
            }
        }
        var probe = ByteBuffer()
        probe.writeString("GET /livez HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        let answer = await OneShotHTTP.exchange(host: host, port: port, request: probe, timeout: .seconds(5))
        var stillOpen = 0
        for connection in held {
            var scratch = ByteBuffer()
            do {
                _ = try await connection.read(into: &scratch, timeout: .milliseconds(1))
            } catch TransportError.Code.timedOut {
                stillOpen += 1
            } catch {}
        }
        for connection in held { connection.close() }
        let served: Bool = if case .status(200) = answer { true } else { false }
        return Verdict(
            name: "\(idleConnections) idle connections",
            seen: "\(held.count) opened, \(stillOpen) held, probe \(served ? "200" : "failed")",
            ok: failures == 0 && stillOpen == idleConnections && served
        )
    }

    /// Writes `pipelined` GET /livez requests on one connection at once and counts the answers.
    private func pipelinedFlood() async -> Verdict {
        guard let connection = try? await TCPConnection.connect(host: host, port: port, timeout: .seconds(5)) else {
            return Verdict(name: "pipelined flood", seen: "connect failed", ok: false)
        }
        defer { connection.close() }
        var requests = ByteBuffer()
        for _ in 0..<pipelined { requests.writeString("GET /livez HTTP/1.1\r\nHost: a\r\n\r\n") }
        let count = pipelined
        let writer = Task { try await connection.write(requests, timeout: .seconds(60)) }
        var response = ByteBuffer()
        var answered = 0
        let marker = Array("HTTP/1.1 200".utf8)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while answered < count, clock.now < deadline {
            guard let read = try? await connection.read(into: &response, timeout: deadline - clock.now), read > 0 else { break }
            answered += response.readableBytesView.split(separator: UInt8(ascii: "\n")).lazy.filter { $0.starts(with: marker) }.count
            // Keep only the unfinished tail of the last line, so a marker is counted once.
            if let lastNewline = response.readableBytesView.lastIndex(of: UInt8(ascii: "\n")) {
                response.moveReaderIndex(to: lastNewline + 1)
                response.discardReadBytes()
            }
        }
        _ = try? await writer.value
        return Verdict(name: "pipelined flood (\(count))", seen: "\(answered) answered 200 in order", ok: answered == count)
    }
}

/// Posts one order every 50 ms through all the checks, recording status and latency.
private final class SideClient: Sendable {
    let host: String
    let port: Int
    private let stopped = Atomic<Bool>(false)

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    struct Stats: Sendable {
        var total = 0
        var accepted = 0
        var p99Ms = 0.0
        /// How many of each other outcome, so a failure says what the requests got.
        var others: [String: Int] = [:]

        var othersDescription: String {
            others.isEmpty ? "" : " (others: " + others.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ") + ")"
        }
    }

    /// Ends `run` once the request in flight, if any, has its answer.
    func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    func run() async -> Stats {
        let clock = ContinuousClock()
        let nonce = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        var latencies: [Double] = []
        var stats = Stats()
        var index = 0
        while !stopped.load(ordering: .relaxed) {
            let start = clock.now
            let request = OneShotHTTP.orderRequest(id: "abuse-\(nonce)-\(index)", sku: "abuse-sku", qty: 1)
            let result = await OneShotHTTP.exchange(host: host, port: port, request: request, timeout: .seconds(5))
            let elapsed = start.duration(to: clock.now)
            latencies.append(LoadCommand.seconds(elapsed) * 1000)
            stats.total += 1
            switch result {
            case .status(202): stats.accepted += 1
            case .status(let status): stats.others["\(status)", default: 0] += 1
            case .refused: stats.others["refused", default: 0] += 1
            case .indeterminate: stats.others["no status", default: 0] += 1
            }
            index += 1
            try? await Task.sleep(until: start + .milliseconds(50))
        }
        latencies.sort()
        if !latencies.isEmpty { stats.p99Ms = latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))] }
        return stats
    }
}
