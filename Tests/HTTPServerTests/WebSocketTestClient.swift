import Bytes
import Foundation
import HTTPServer
import TestSupport
import Transport

/// A raw WebSocket client for loopback tests: writes the handshake and masked frames itself and
/// reads the server's frames with a parser of its own, so it shares no code with the server's
/// codec. Used by one task at a time.
final class WebSocketTestClient {
    /// The server closed the connection before sending what the test waited for.
    struct ServerClosed: Error, CustomStringConvertible {
        let before: String
        var description: String { "the server closed the connection before \(before)" }
    }

    /// A frame as the server sent it.
    struct Frame: Equatable {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]

        var text: String { String(decoding: payload, as: UTF8.self) }
        /// The status code of a close frame.
        var closeCode: UInt16? { opcode == 0x8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
    }

    let connection: TCPConnection
    private var pending: [UInt8] = []

    init(port: Int) async throws {
        connection = try await TCPConnection.connect(host: "127.0.0.1", port: port, timeout: .seconds(5))
    }

    /// The handshake's request: a valid upgrade unless `fields` replaces or adds fields.
    static func handshake(path: String, port: Int, fields: [(String, String?)] = []) -> String {
        var all: [(String, String?)] = [("Host", "127.0.0.1:\(port)"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]
        for (name, value) in fields {
            if let index = all.firstIndex(where: { $0.0 == name }) { all[index].1 = value } else { all.append((name, value)) }
        }
        return "GET \(path) HTTP/1.1\r\n" + all.compactMap { name, value in value.map { "\(name): \($0)\r\n" } }.joined() + "\r\n"
    }

    /// Sends the handshake (and `then`, in the same write) and reads the response head.
    func upgrade(path: String, port: Int, fields: [(String, String?)] = [], then extra: [UInt8] = []) async throws -> HTTPTestResponse {
        var bytes = ByteBuffer(string: Self.handshake(path: path, port: port, fields: fields))
        bytes.writeBytes(extra)
        try await connection.write(bytes, timeout: .seconds(5))
        while true {
            if let end = (0..<max(pending.count - 3, 0)).first(where: { pending[$0..<$0 + 4] == [13, 10, 13, 10] }) {
                let lines = String(decoding: pending[..<end], as: UTF8.self).components(separatedBy: "\r\n")
                pending.removeFirst(end + 4)
                let status = Int(lines[0].split(separator: " ")[1]) ?? 0
                let headers = lines.dropFirst().map { line -> (name: String, value: String) in
                    let colon = line.firstIndex(of: ":")!
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                var response = HTTPTestResponse(version: String(lines[0].prefix(8)), status: status, headers: headers, body: "")
                if let length = response.header("Content-Length").flatMap(Int.init) {
                    while pending.count < length { guard try await fill() else { break } }
                    response.body = String(decoding: pending.prefix(length), as: UTF8.self)
                    pending.removeFirst(min(length, pending.count))
                }
                return response
            }
            guard try await fill() else { throw ServerClosed(before: "a handshake response") }
        }
    }

    /// A masked client frame.
    static func frame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        switch payload.count {
        case 0...125: bytes.append(0x80 | UInt8(payload.count))
        case 126...0xFFFF: bytes += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default: bytes.append(0x80 | 127); bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> (8 * $0)) }
        }
        bytes += key
        bytes += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        return bytes
    }

    func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true) async throws {
        try await connection.write(ByteBuffer(bytes: Self.frame(opcode: opcode, payload, fin: fin)), timeout: .seconds(5))
    }

    func sendText(_ text: String) async throws { try await send(opcode: 0x1, Array(text.utf8)) }

    /// A close frame with `code`.
    func sendClose(_ code: UInt16) async throws { try await send(opcode: 0x8, [UInt8(code >> 8), UInt8(code & 0xFF)]) }

    /// The next frame, or nil once the server has closed the connection.
    func readFrame(timeout: Duration = .seconds(10)) async throws -> Frame? {
        while true {
            if pending.count >= 2 {
                let length7 = Int(pending[1] & 0x7F)
                let (length, header) = switch length7 {
                case 126: (pending.count >= 4 ? Int(pending[2]) << 8 | Int(pending[3]) : -1, 4)
                case 127: (pending.count >= 10 ? pending[2..<10].reduce(0) { $0 << 8 | Int($1) } : -1, 10)
                default: (length7, 2)
                }
                if length >= 0, pending.count >= header + length {
                    let frame = Frame(fin: pending[0] & 0x80 != 0, opcode: pending[0] & 0x0F, payload: Array(pending[header..<header + length]))
                    pending.removeFirst(header + length)
                    return frame
                }
            }
            guard try await fill(timeout: timeout) else { return nil }
        }
    }

    /// The next frame that is not a ping, answering pings with pongs.
    func readAnsweringPings() async throws -> Frame? {
        while let frame = try await readFrame() {
            guard frame.opcode == 0x9 else { return frame }
            try await send(opcode: 0xA, frame.payload)
        }
        return nil
    }

    /// Reads more; false at the end of the stream (or a reset).
    private func fill(timeout: Duration = .seconds(10)) async throws -> Bool {
        var buffer = ByteBuffer()
        do {
            guard try await connection.read(into: &buffer, timeout: timeout) > 0 else { return false }
        } catch TransportError.Code.connectionReset {
            return false
        }
        pending += buffer.readableBytesView
        return true
    }

    func close() { connection.close() }
}
