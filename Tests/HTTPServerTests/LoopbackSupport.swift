import Foundation
import Bytes
import HTTPServer
import Testing
import TestSupport
import Transport

/// A response as a test client sees it.
struct ClientResponse {
    /// From the status line, e.g. `HTTP/1.1`.
    var version: String
    var status: Int
    var headers: [(name: String, value: String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A raw-socket client that reads responses with its own minimal parser, independent of the
/// server's code.
final class TestClient: Sendable {
    let connection: TCPConnection

    init(port: Int) async throws {
        connection = try await TCPConnection.connect(host: "127.0.0.1", port: port, timeout: .seconds(5))
    }

    func send(_ text: String) async throws {
        try await connection.write(ByteBuffer(string: text), timeout: .seconds(5))
    }

    /// Sends `text` one byte at a time, `interval` apart, until done, cancelled or refused.
    func trickle(_ text: String, every interval: Duration) async throws {
        for byte in text.utf8 {
            try await Task.sleep(for: interval)
            try await connection.write(ByteBuffer(bytes: [byte]), timeout: .seconds(5))
        }
    }

    /// Reads one response, or nil when the server closed the connection first. A response to
    /// HEAD (`toHead`) has framing fields but no body.
    func response(_ pending: inout [UInt8], toHead: Bool = false) async throws -> ClientResponse? {
        while true {
            if let (response, used) = Self.parse(pending, toHead: toHead) {
                pending.removeFirst(used)
                return response
            }
            var buffer = ByteBuffer()
            let count = try await connection.read(into: &buffer, timeout: .seconds(5))
            if count == 0 {
                // A body delimited by the end of the connection.
                if let response = Self.parseUntilClose(pending) {
                    pending = []
                    return response
                }
                return nil
            }
            pending += buffer.readableBytesView
        }
    }

    /// Whether the server closed the connection (reads EOF or a reset, discarding nothing
    /// expected).
    func isClosedByServer() async throws -> Bool {
        var buffer = ByteBuffer()
        do {
            return try await connection.read(into: &buffer, timeout: .seconds(30)) == 0
        } catch TransportError.Code.connectionReset {
            return true
        }
    }

    /// Reads and counts bytes until the server closes the connection.
    func bytesUntilClosed() async throws -> Int {
        var total = 0
        while true {
            var buffer = ByteBuffer()
            let count: Int
            do {
                count = try await connection.read(into: &buffer, timeout: .seconds(5))
            } catch TransportError.Code.connectionReset {
                return total
            }
            if count == 0 { return total }
            total += count
        }
    }

    func close() { connection.close() }

    private static func head(_ bytes: [UInt8]) -> (version: String, status: Int, headers: [(name: String, value: String)], length: Int)? {
        guard let end = (0..<max(bytes.count - 3, 0)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) else {
            return nil
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        let headers = lines.dropFirst().map { line -> (name: String, value: String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (String(statusLine[0]), Int(statusLine[1]) ?? 0, headers, end + 4)
    }

    private static func parse(_ bytes: [UInt8], toHead: Bool) -> (ClientResponse, Int)? {
        guard let (version, status, headers, headLength) = head(bytes) else { return nil }
        let response = ClientResponse(version: version, status: status, headers: headers, body: "")
        if toHead || status < 200 || status == 204 || status == 304 { return (response, headLength) }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            guard bytes.count >= headLength + length else { return nil }
            var complete = response
            complete.body = String(decoding: bytes[headLength..<headLength + length], as: UTF8.self)
            return (complete, headLength + length)
        }
        guard response.header("Transfer-Encoding") == "chunked" else { return nil }
        var index = headLength
        var body: [UInt8] = []
        while true {
            guard let lineEnd = (index..<max(bytes.count - 1, index)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self), radix: 16) else { return nil }
            let dataStart = lineEnd + 2
            if size == 0 {
                guard bytes.count >= dataStart + 2 else { return nil }
                var complete = response
                complete.body = String(decoding: body, as: UTF8.self)
                return (complete, dataStart + 2)
            }
            guard bytes.count >= dataStart + size + 2 else { return nil }
            body += bytes[dataStart..<dataStart + size]
            index = dataStart + size + 2
        }
    }

    private static func parseUntilClose(_ bytes: [UInt8]) -> ClientResponse? {
        guard let (version, status, headers, headLength) = head(bytes) else { return nil }
        return ClientResponse(version: version, status: status, headers: headers,
                              body: String(decoding: bytes[headLength...], as: UTF8.self))
    }
}

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
        router.get("/slow") { _ in
            try await Task.sleep(for: .milliseconds(300))
            return .text("slow done")
        }
        router.get("/wait/{ms}") { request in
            try await Task.sleep(for: .milliseconds(Int(request.pathParameters["ms"] ?? "") ?? 0))
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
                try await Task.sleep(for: .seconds(3600))
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
