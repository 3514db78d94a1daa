import Bytes
import Transport

/// A minimal HTTP/1.1 client for load and abuse runs: one request per connection, so a killed
/// gateway affects only the requests in flight, and the outcome maps cleanly onto the ledger.
enum OneShotHTTP {
    /// The result of one exchange.
    enum Result: Sendable {
        case status(Int)
        /// Connecting failed: nothing was sent.
        case refused
        /// Bytes may have been sent but no status line arrived in time or before the close.
        case indeterminate
    }

    /// Sends `request` (complete bytes, with `Connection: close`) and waits for the status line.
    static func exchange(host: String, port: Int, request: ByteBuffer, timeout: Duration) async -> Result {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let connection: TCPConnection
        do {
            connection = try await TCPConnection.connect(host: host, port: port, timeout: timeout)
        } catch {
            return .refused
        }
        defer { connection.close() }
        do {
            try await connection.write(request, timeout: deadline - clock.now)
            var response = ByteBuffer()
            while true {
                let remaining = deadline - clock.now
                guard remaining > .zero else { return .indeterminate }
                if try await connection.read(into: &response, timeout: remaining) == 0 { break }
                if let status = statusCode(in: response) { return .status(status) }
            }
            return statusCode(in: response).map { .status($0) } ?? .indeterminate
        } catch {
            return .indeterminate
        }
    }

    /// The code in `HTTP/1.1 NNN ...` once the first 12 bytes are there.
    static func statusCode(in buffer: ByteBuffer) -> Int? {
        guard buffer.readableBytes >= 12, let line = buffer.getString(at: buffer.readerIndex, length: 12),
              line.hasPrefix("HTTP/1.") else { return nil }
        return Int(line.dropFirst(9).prefix(3))
    }

    /// A complete `POST /orders` request for one order; `keyed` adds `Idempotency-Key: <id>`.
    static func orderRequest(id: String, sku: String, qty: Int, keyed: Bool = true) -> ByteBuffer {
        let body = #"{"id":"\#(id)","sku":"\#(sku)","qty":\#(qty)}"#
        var buffer = ByteBuffer()
        buffer.writeString(
            "POST /orders HTTP/1.1\r\nHost: chaos\r\nContent-Type: application/json\r\n"
                + (keyed ? "Idempotency-Key: \(id)\r\n" : "")
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        )
        return buffer
    }
}
