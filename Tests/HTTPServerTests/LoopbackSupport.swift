import Synchronization
import Bytes
import HTTPServer
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

    /// Reads one response, or nil when the server closed the connection first.
    func response(_ pending: inout [UInt8]) async throws -> ClientResponse? {
        while true {
            if let (response, used) = Self.parse(pending) {
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

    /// Whether the server closed the connection (reads EOF, discarding nothing expected).
    func isClosedByServer() async throws -> Bool {
        var buffer = ByteBuffer()
        return try await connection.read(into: &buffer, timeout: .seconds(30)) == 0
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

    private static func parse(_ bytes: [UInt8]) -> (ClientResponse, Int)? {
        guard let (version, status, headers, headLength) = head(bytes) else { return nil }
        let response = ClientResponse(version: version, status: status, headers: headers, body: "")
        if status < 200 || status == 204 || status == 304 { return (response, headLength) }
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
    private let runner: Task<Void, Never>

    var port: Int { server.port }

    init(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in }) async throws {
        var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        var router = HTTPRouter()
        router.add("GET", "/hello/:name") { request in
            .text("hello \(request.pathParameters["name"] ?? "")")
        }
        router.add("POST", "/echo") { request in
            HTTPResponse(status: 200, body: .bytes(request.body))
        }
        router.add("GET", "/slow") { _ in
            try await Task.sleep(for: .milliseconds(300))
            return .text("slow done")
        }
        router.add("GET", "/gated") { [gate] _ in
            await gate.pass()
            return .text("gated done")
        }
        router.add("GET", "/stream") { _ in
            HTTPResponse(status: 200, body: .stream { writer in
                for piece in ["one ", "two ", "three"] { try await writer.write(ByteBuffer(string: piece)) }
            })
        }
        router.add("GET", "/fail") { _ in throw CancellationError() }
        server = try await HTTPServer.bind(configuration: configuration, router: router)
        runner = Task { [server] in await server.run() }
    }

    func stop(gracePeriod: Duration = .seconds(2)) async {
        await server.shutdown(gracePeriod: gracePeriod)
        await runner.value
    }
}

/// Holds requests until `open()`, so a test can be sure a request is in progress (not merely
/// sent) whatever the machine's load.
final class Gate: Sendable {
    private let state = Mutex<(arrived: Int, isOpen: Bool, waiters: [CheckedContinuation<Void, Never>])>((0, false, []))

    /// Requests that have reached the gate.
    var arrived: Int { state.withLock { $0.arrived } }

    func pass() async {
        await withCheckedContinuation { continuation in
            let passes = state.withLock { state -> Bool in
                state.arrived += 1
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if passes { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
