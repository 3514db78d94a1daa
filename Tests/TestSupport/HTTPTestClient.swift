import Bytes
import Foundation
import Transport

/// A response as a test client read it.
public struct HTTPTestResponse: Sendable {
    /// From the status line, e.g. `HTTP/1.1`.
    public var version: String
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: String

    public init(version: String, status: Int, headers: [(name: String, value: String)], body: String) {
        self.version = version
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first field called `name`, in any case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A raw-socket HTTP/1.1 client for tests of the project's servers. It writes what a test gives
/// it byte for byte and reads responses with a minimal parser of its own, sharing no code with
/// the servers it tests. Every wait is bounded by `testPatience`.
public final class HTTPTestClient: Sendable {
    public let connection: TCPConnection

    /// A connection to `host:port`.
    public init(port: Int, host: String = "127.0.0.1") async throws {
        connection = try await TCPConnection.connect(host: host, port: port, timeout: testPatience)
    }

    /// Sends one request on a connection of its own (`Connection: close`) and reads its response.
    /// A body is sent as JSON.
    public static func request(
        port: Int, method: String, path: String, body: String? = nil, headers: [String: String] = [:]
    ) async throws -> HTTPTestResponse {
        let client = try await HTTPTestClient(port: port)
        defer { client.close() }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        request += "\r\n" + (body ?? "")
        try await client.send(request)
        var pending: [UInt8] = []
        guard let response = try await client.response(&pending) else { throw NoResponse(request: "\(method) \(path)") }
        return response
    }

    public func send(_ text: String) async throws {
        try await connection.write(ByteBuffer(string: text), timeout: testPatience)
    }

    /// Sends `text` one byte at a time, `interval` apart, until done, cancelled or refused.
    public func trickle(_ text: String, every interval: Duration) async throws {
        try await connection.trickle(text.utf8, every: interval)
    }

    /// Reads one response, keeping what follows it in `pending`, or nil when the server closed
    /// the connection first. A response to HEAD (`toHead`) has framing fields but no body.
    public func response(_ pending: inout [UInt8], toHead: Bool = false) async throws -> HTTPTestResponse? {
        while true {
            if let (response, used) = Self.parse(pending, toHead: toHead) {
                pending.removeFirst(used)
                return response
            }
            var buffer = ByteBuffer()
            let count = try await connection.read(into: &buffer, timeout: testPatience)
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
    public func isClosedByServer() async throws -> Bool {
        var buffer = ByteBuffer()
        do {
            return try await connection.read(into: &buffer, timeout: testPatience) == 0
        } catch TransportError.Code.connectionReset {
            return true
        }
    }

    /// Reads and counts bytes until the server closes the connection.
    public func bytesUntilClosed() async throws -> Int {
        var total = 0
        while true {
            var buffer = ByteBuffer()
            let count: Int
            do {
                count = try await connection.read(into: &buffer, timeout: testPatience)
            } catch TransportError.Code.connectionReset {
                return total
            }
            if count == 0 { return total }
            total += count
        }
    }

    public func close() { connection.close() }

    /// The server closed the connection without answering.
    public struct NoResponse: Error, CustomStringConvertible {
        public var request: String
        public var description: String { "no response to \(request): the server closed the connection" }
    }

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

    private static func parse(_ bytes: [UInt8], toHead: Bool) -> (HTTPTestResponse, Int)? {
        guard let (version, status, headers, headLength) = head(bytes) else { return nil }
        let response = HTTPTestResponse(version: version, status: status, headers: headers, body: "")
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

    private static func parseUntilClose(_ bytes: [UInt8]) -> HTTPTestResponse? {
        guard let (version, status, headers, headLength) = head(bytes) else { return nil }
        return HTTPTestResponse(version: version, status: status, headers: headers,
                                body: String(decoding: bytes[headLength...], as: UTF8.self))
    }
}
