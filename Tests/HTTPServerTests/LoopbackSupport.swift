import Foundation
import Bytes
import HTTPServer
import Testing
import TestSupport
import Transport

/// A server on a kernel-chosen loopback port with a few routes, running until `stop()`.
final class TestServer: Sendable {
    let server: HTTPServer
    /// Holds `GET /gated` requests until opened.
    let gate = Gate()
    /// Holds `GET /stuck` requests until opened, for a minute at most: a handler that ignores
    /// cancellation.
    let stuck = Gate()
    /// `GET /sleep` handlers that have started, and those that saw their task cancelled.
    let sleeps = SleepLog()
    /// The body of `GET /big`: far more than the socket buffers of a client that does not read.
    static let bigBody = ByteBuffer(bytes: [UInt8](repeating: UInt8(ascii: "x"), count: 32 << 20))
    private let runner: Task<Void, Never>

    var port: Int { server.port }

    init(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in }) async throws {
        var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        var router = HTTPRouter()
        router.get("/hello/{name}") { request in
            .text("hello \(request.pathParameters["name"] ?? "")")
        }
        router.head("/hello/{name}") { request in
            .text("hello \(request.pathParameters["name"] ?? "")")
        }
        router.post("/echo") { request in
            HTTPResponse(status: .ok, body: .bytes(request.body))
        }
        // The storage a received body keeps alive, in bytes.
        router.post("/retained") { request in
            .text("\(request.body.capacity)")
        }
        router.get("/slow") { _ in
            try await letTimePass(.milliseconds(300), because: .slowPeer)
            return .text("slow done")
        }
        router.get("/wait/{ms}") { request in
            try await letTimePass(.milliseconds(Int(request.pathParameters["ms"] ?? "") ?? 0), because: .slowPeer)
            return .text("waited")
        }
        router.get("/gated") { [gate] _ in
            try await gate.pass()
            return .text("gated done")
        }
        router.get("/stuck") { [stuck] _ in
            try await stuck.pass(timeout: .seconds(60))
            return .text("unstuck")
        }
        router.get("/sleep") { [sleeps] _ in
            sleeps.started.record()
            do {
                try await untilCancelled()
            } catch {
                sleeps.cancelled.record()
                throw error
            }
            return .text("slept")
        }
        router.get("/big") { _ in
            HTTPResponse(status: .ok, body: .bytes(Self.bigBody))
        }
        router.get("/stream") { _ in
            HTTPResponse(status: .ok, body: .stream { writer in
                for piece in ["one ", "two ", "three"] { try await writer.write(ByteBuffer(string: piece)) }
            })
        }
        router.get("/fail") { _ in throw CancellationError() }
        router.get("/livez") { _ in .text("ok") }
        router.get("/deadline") { request in
            .text(request.deadline.map { "\($0 > .now)" } ?? "none")
        }
        router.get("/split") { _ in
            HTTPResponse(status: .ok, headers: [("X-Value", "1\r\nX-Injected: 2")])
        }
        server = try await HTTPServer.bind(configuration: configuration, router: router)
        runner = Task { [server] in await server.run() }
    }

    /// Shuts the server down and waits for `run()` to return, for a bounded time: a server that
    /// does not stop fails the test instead of hanging it.
    func stop(gracePeriod: Duration = .seconds(2), sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await within(gracePeriod + testPatience, "the server to stop") { [server, runner] in
                await server.shutdown(gracePeriod: gracePeriod)
                await runner.value
            }
        } catch {
            Issue.record(error, sourceLocation: sourceLocation)
        }
    }
}

/// Collects what a server reports, and lets a test wait for a report.
final class ServerReports: Sendable {
    private let recorder = EventRecorder<HTTPServer.LogEvent>()

    var all: [HTTPServer.LogEvent] { recorder.all }

    var log: @Sendable (HTTPServer.LogEvent) -> Void {
        { [recorder] event in recorder.record(event) }
    }

    func named(_ message: String) -> [HTTPServer.LogEvent] { all.filter { $0.message == message } }

    /// The first report with `message`, once there is one; throws `TestTimeout` when none comes.
    func first(_ message: String) async throws -> HTTPServer.LogEvent {
        try await recorder.first("a report '\(message)'") { $0.message == message }
    }
}

/// How `GET /sleep` handlers went: those that started, and those that saw their task cancelled.
final class SleepLog: Sendable {
    let started = EventCount()
    let cancelled = EventCount()
}

/// The server-side sockets of connections to `port` that this process holds open: accepted
/// sockets, told from clients' by their local port. Other tests' sockets do not count.
func serverSideSockets(port: Int) throws -> Int {
    var inodes: Set<String> = []
    // Read to the end: procfs files report a size of 0.
    guard let table = FileHandle(forReadingAtPath: "/proc/net/tcp")?.readDataToEndOfFile() else {
        throw CocoaError(.fileReadUnknown)
    }
    for line in String(decoding: table, as: UTF8.self).split(separator: "\n").dropFirst() {
        let columns = line.split(separator: " ")
        // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; column 9 is the inode.
        guard columns.count > 9, let local = columns[1].split(separator: ":").last,
              Int(local, radix: 16) == port, columns[3] != "0A" else { continue }
        inodes.insert(String(columns[9]))
    }
    let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
    return descriptors.count { fd in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
              target.hasPrefix("socket:[") else { return false }
        return inodes.contains(String(target.dropFirst(8).dropLast()))
    }
}
