import Bytes
import Foundation
import Transport

/// A minimal HTTP/1.1 client for driving the services in tests: one request per connection, the
/// response read to its Content-Length. Enough for the services' fixed-length answers.
enum TestHTTPClient {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    struct Malformed: Error, CustomStringConvertible {
        let text: String
        var description: String { "malformed response: \(text)" }
    }

    static func send(port: Int, method: String, path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> Response {
        let connection = try await TCPConnection.connect(host: "127.0.0.1", port: port, timeout: .seconds(5))
        defer { connection.close() }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        request += "\r\n" + (body ?? "")
        try await connection.write(ByteBuffer(string: request), timeout: .seconds(10))
        var received = ByteBuffer()
        while true {
            if let response = try parse(received) { return response }
            guard try await connection.read(into: &received, timeout: .seconds(30)) > 0 else {
                throw Malformed(text: String(describing: received))
            }
        }
    }

    /// The response once all of it has arrived, else nil.
    private static func parse(_ buffer: ByteBuffer) throws -> Response? {
        let text = String(describing: buffer)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Malformed(text: lines[0]) }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = String(text[split.upperBound...])
        guard body.utf8.count >= Int(headers["content-length"] ?? "0") ?? 0 else { return nil }
        return Response(status: status, headers: headers, body: body)
    }
}
