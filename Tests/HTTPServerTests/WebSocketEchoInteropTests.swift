import Bytes
import Foundation
import TestSupport
@testable import HTTPServer
import Synchronization
import Testing
import Transport

/// The Python interpreter with `websockets` installed, when the suite is to run.
private let interopPython = ProcessInfo.processInfo.environment["WEBSOCKET_INTEROP_PYTHON"]

/// A minimal WebSocket echo server on loopback, built from `TCPListener`, the handshake and the
/// connection state machine, with Python's `websockets` library as its client
/// (`scripts/interop/ws-client.py`). `scripts/interop/ws.sh` installs the library and runs this
/// suite with `WEBSOCKET_INTEROP_PYTHON` set to the interpreter that has it.
@Suite(.enabled(if: interopPython != nil, "run by scripts/interop/ws.sh, which installs Python's websockets"))
struct WebSocketEchoInteropTests {
    static let client = "/" + "\(#filePath)".split(separator: "/").dropLast(3).joined(separator: "/") + "/scripts/interop/ws-client.py"

    /// What the server saw, for the test to check after the client is done.
    final class Record: Sendable {
        let messages = Mutex(0)
        let closeStatuses = Mutex<[WebSocketCloseStatus]>([])
        let refusals = Mutex<[Int]>([])
    }

    @Test func pythonWebsocketsClientAgainstTheEchoServer() async throws {
        let python = try #require(interopPython)
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let record = Record()
        let server = Task {
            await withTaskGroup(of: Void.self) { group in
                while let connection = try? await listener.accept() {
                    group.addTask { await Self.serve(connection, record: record) }
                }
            }
        }
        defer { listener.close() }

        let (status, output) = try await Self.run(python, [Self.client, String(listener.port)])
        listener.close()
        await server.value
        #expect(status == 0, "client output:\n\(output)")
        #expect(output.contains("all interop checks passed"), "client output:\n\(output)")

        #expect(record.messages.withLock { $0 } == 11)
        let codes = record.closeStatuses.withLock { $0.compactMap(\.code) }
        #expect(codes.contains(.normalClosure) && codes.contains(.invalidPayloadData) && codes.contains(.protocolError))
        #expect(record.refusals.withLock { $0.sorted() } == [403, 426])
    }

    /// Runs a process to its end without blocking a thread of the cooperative pool; returns its
    /// exit status and what it printed.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try launch(process) } catch { continuation.resume(throwing: error) }
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (status, text)
    }

    /// Serves one connection: the handshake, then echoes every message until the close.
    static func serve(_ connection: TCPConnection, record: Record) async {
        defer { connection.close() }
        do {
            var input = ByteBuffer()
            var head: [UInt8]?
            while head == nil {
                guard try await connection.read(into: &input, timeout: .seconds(10)) > 0 else { return }
                head = takeHead(from: &input)
            }
            guard let request = RawRequest(head!) else {
                Issue.record("echo server: malformed request head")
                return
            }
            let handshake = WebSocketHandshake(originPolicy: .sameOrigin)
            switch handshake.respond(method: request.method, version: request.version, headerValues: request.values) {
            case .failure(let refusal):
                record.refusals.withLock { $0.append(refusal.status) }
                let fields = refusal.headers + [("Content-Length", String(refusal.message.utf8.count)), ("Connection", "close")]
                var bytes = response(refusal.status, fields)
                bytes.writeString(refusal.message)
                try await connection.write(bytes, timeout: .seconds(10))
                return
            case .success(let acceptance):
                try await connection.write(response(acceptance.status, acceptance.headers), timeout: .seconds(10))
            }
            var machine = WebSocketConnectionStateMachine()
            if input.readableBytes > 0 { machine.received(input) }
            while true {
                switch machine.nextAction() {
                case .read:
                    var bytes = ByteBuffer()
                    if try await connection.read(into: &bytes, timeout: .seconds(10)) == 0 {
                        machine.receivedEndOfStream()
                    } else {
                        machine.received(bytes)
                    }
                case .deliver(let message):
                    record.messages.withLock { $0 += 1 }
                    if let frame = machine.send(message) { try await connection.write(frame, timeout: .seconds(10)) }
                case .write(let bytes):
                    try await connection.write(bytes, timeout: .seconds(10))
                case .writeAndClose(let bytes):
                    try await connection.write(bytes, timeout: .seconds(10))
                    record.closeStatuses.withLock { $0.append(machine.closeStatus!) }
                    return
                case .close:
                    record.closeStatuses.withLock { $0.append(machine.closeStatus!) }
                    return
                }
            }
        } catch {
            Issue.record("echo server: \(error)")
        }
    }

    /// The bytes of a request head up to its empty line, taken from `input`, once all there.
    static func takeHead(from input: inout ByteBuffer) -> [UInt8]? {
        let bytes = Array(input.readableBytesView)
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<$0 + 4] == [13, 10, 13, 10] }) else { return nil }
        input.moveReaderIndex(forwardBy: end + 4)
        return Array(bytes[..<end])
    }

    static func response(_ status: Int, _ fields: [(name: String, value: String)]) -> ByteBuffer {
        let reason = [101: "Switching Protocols", 400: "Bad Request", 403: "Forbidden", 426: "Upgrade Required"][status] ?? ""
        return ByteBuffer(string: "HTTP/1.1 \(status) \(reason)\r\n" + fields.map { "\($0.name): \($0.value)\r\n" }.joined() + "\r\n")
    }

    /// A request head read with a parser of the test's own, so the server depends on nothing of
    /// the HTTP module but the handshake.
    struct RawRequest {
        var method: String
        var version: (major: Int, minor: Int)
        var fields: [(name: String, value: String)]

        init?(_ head: [UInt8]) {
            let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
            let requestLine = lines[0].split(separator: " ")
            guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/"),
                  let major = Int(requestLine[2].dropFirst(5).prefix(1)), let minor = Int(requestLine[2].suffix(1)) else { return nil }
            method = String(requestLine[0])
            version = (major, minor)
            fields = lines.dropFirst().compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }

        func values(_ name: String) -> [String] {
            fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }
    }
}
