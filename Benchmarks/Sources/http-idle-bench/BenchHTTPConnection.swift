import Bytes
import Transport

/// What went wrong on a benchmark client connection.
enum BenchClientError: Error, CustomStringConvertible {
    case closedByServer
    case malformedResponse(String)

    var description: String {
        switch self {
        case .closedByServer: "server closed the connection"
        case .malformedResponse(let why): "malformed response: \(why)"
        }
    }
}

/// A minimal HTTP/1.1 client connection for the benchmark: sends a request and reads the
/// response, which must be framed by Content-Length (as every response of the benchmark server is).
struct BenchHTTPConnection: Sendable {
    struct Response: Sendable {
        var status: Int
        var body: ByteBuffer
    }

    let connection: TCPConnection
    /// Bytes read past the end of the last response (none from a server that is not pipelining).
    private var buffer = ByteBuffer()

    init(connection: TCPConnection) {
        self.connection = connection
    }

    /// Sends `request` and reads its response.
    mutating func exchange(_ request: ByteBuffer, timeout: Duration) async throws -> Response {
        try await connection.write(request, timeout: timeout)
        while true {
            if let response = try parseResponse() { return response }
            if try await connection.read(into: &buffer, timeout: timeout) == 0 { throw BenchClientError.closedByServer }
        }
    }

    /// Frees the read buffer when nothing is buffered, so that thousands of idle connections do
    /// not inflate the client process.
    mutating func releaseBuffer() {
        if buffer.readableBytes == 0 { buffer = ByteBuffer() }
    }

    /// Takes one complete response off the buffer, or returns nil when more bytes are needed.
    private mutating func parseResponse() throws -> Response? {
        let found: (headEnd: Int, status: Int, length: Int)?? = try buffer.withUnsafeReadableBytes { bytes in
            guard let end = Self.headEnd(in: bytes) else { return .some(nil) }
            let head = UnsafeRawBufferPointer(rebasing: bytes[..<end])
            guard head.count > 12, head.starts(with: Array("HTTP/1.".utf8)),
                  let status = Int(String(decoding: head[9..<12], as: UTF8.self)) else {
                throw BenchClientError.malformedResponse("bad status line")
            }
            guard let length = Self.contentLength(in: head) else {
                throw BenchClientError.malformedResponse("no Content-Length")
            }
            return (end, status, length)
        }
        guard let found, let (headEnd, status, length) = found else { return nil }
        guard buffer.readableBytes >= headEnd + length else { return nil }
        buffer.moveReaderIndex(forwardBy: headEnd)
        let body = buffer.readSlice(length: length)!
        if buffer.readableBytes == 0 { buffer.clear() }
        return Response(status: status, body: body)
    }

    /// Offset just past the blank line ending the head.
    private static func headEnd(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    /// The value of the Content-Length field, matched case-insensitively.
    private static func contentLength(in head: UnsafeRawBufferPointer) -> Int? {
        let name = Array("\r\ncontent-length:".utf8)
        guard head.count > name.count else { return nil }
        for start in 0...(head.count - name.count) {
            var matches = true
            for offset in 0..<name.count where lowercased(head[start + offset]) != name[offset] {
                matches = false
                break
            }
            guard matches else { continue }
            var index = start + name.count
            while index < head.count, head[index] == 32 { index += 1 }
            var value = 0
            var digits = 0
            while index < head.count, head[index] >= 48, head[index] <= 57 {
                value = value * 10 + Int(head[index] - 48)
                digits += 1
                index += 1
            }
            return digits > 0 ? value : nil
        }
        return nil
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 65 && byte <= 90 ? byte | 0x20 : byte
    }
}
