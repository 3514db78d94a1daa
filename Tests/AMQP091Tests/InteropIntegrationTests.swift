import AMQP091
import Bytes
import Foundation
import TestSupport
import Testing

/// Messages crossing between this client and other clients through the real RabbitMQ at
/// `AMQP_URL`: amqp091-go (the echo peer `scripts/interop/amqp.sh` builds, named by
/// `AMQP_INTEROP_PEER`) and rabbitmq-c's `amqp-publish` / `amqp-consume` (Debian's amqp-tools).
@Suite(.requires(.rabbitmq), .timeLimit(.minutes(1)))
struct InteropIntegrationTests {
    static let url = TestServer.rabbitmq.url()
    static let peer = ProcessInfo.processInfo.environment["AMQP_INTEROP_PEER"] ?? ""
    /// rabbitmq-c reads a lone "/" path as the empty vhost, where the URI spec's default is "/".
    static let toolsURL = url.hasSuffix("/") ? String(url.dropLast()) : url

    func uniqueName() -> String { "amqp091-interop-\(UInt64.random(in: 0...UInt64.max))" }

    /// Runs a program to completion without blocking a thread; returns its standard output.
    func run(_ path: String, _ arguments: [String], input: [UInt8] = []) async throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try launch(process)
                stdin.fileHandleForWriting.write(Data(input))
                try stdin.fileHandleForWriting.close()
            } catch {
                continuation.resume(throwing: error)
            }
        }
        let stdout = Array(output.fileHandleForReading.readDataToEndOfFile())
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(path) exited with \(process.terminationStatus): \(stderr)")
        return stdout
    }

    /// Every body byte value, every property, and a header of every field type amqp091-go
    /// reads and writes: all of RabbitMQ's but the unsigned `B`, `u` and `i`, which amqp091-go
    /// cannot decode (its channel fails with 502), so they cannot make the round trip.
    static let body = ByteBuffer(bytes: (0..<1024).map { UInt8(truncatingIfNeeded: $0) })
    static let properties = BasicProperties(
        contentType: "application/x-test", contentEncoding: "identity",
        headers: [
            "bool": .bool(true), "int8": .int8(-8), "int16": .int16(-1600),
            "int32": .int32(-320_000), "int64": .int64(-64_000_000_000), "float": .float(1.5),
            "double": .double(-2.25), "decimal": .decimal(scale: 2, value: 12345), "string": "naïve ✓",
            "bytes": .bytes(ByteBuffer(bytes: [0, 255, 10])), "array": .array([.int32(1), "two", .bool(false)]),
            "timestamp": .timestamp(1_700_000_000), "table": .table(["nested": .int64(7)]), "void": .void,
        ],
        deliveryMode: 2, priority: 5, correlationID: "corr-1", replyTo: "reply.queue", expiration: "60000", messageID: "msg-1",
        timestamp: 1_700_000_123, type: "order.created", userID: "guest", appID: "interop")

    @Test(.enabled(if: !peer.isEmpty, "AMQP_INTEROP_PEER names no echo peer; run scripts/interop/amqp.sh"))
    func amqp091GoEchoesPropertiesEveryHeaderTypeAndBodyUnchanged() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url))
        let channel = try await connection.openChannel()
        let outbound = try await channel.queueDeclare(uniqueName())
        let inbound = try await channel.queueDeclare(uniqueName())
        try await channel.confirmSelect()
        #expect(try await channel.publishConfirmed(routingKey: outbound.queue, body: Self.body, properties: Self.properties) == .ack)
        _ = try await run(Self.peer, ["-url", Self.url, "-from", outbound.queue, "-to", inbound.queue, "-n", "1"])
        let echoed = try #require(try await channel.get(queue: inbound.queue, noAck: true))
        #expect(echoed.body == Self.body)
        // amqp091-go keeps a table in a Go map, so entry order may change; compare by key.
        var withoutHeaders = echoed.properties
        withoutHeaders.headers = nil
        var expected = Self.properties
        expected.headers = nil
        #expect(withoutHeaders == expected)
        let got = try #require(echoed.properties.headers)
        let sent = try #require(Self.properties.headers)
        #expect(got.entries.count == sent.entries.count)
        for entry in sent.entries {
            #expect(got[entry.key] == entry.value, "header \(entry.key)")
        }
        try await channel.queueDelete(outbound.queue)
        try await channel.queueDelete(inbound.queue)
        try await connection.close()
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/amqp-consume"), "needs amqp-tools"))
    func amqpToolsReceiveOurBodiesAndSendUsTheirs() async throws {
        let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: Self.url))
        let channel = try await connection.openChannel()
        // Not auto-delete: amqp-consume's cancel would delete it.
        let queue = try await channel.queueDeclare(uniqueName())
        try await channel.confirmSelect()

        // Ours to amqp-consume: it pipes the body into `cat`, byte for byte.
        #expect(try await channel.publishConfirmed(routingKey: queue.queue, body: Self.body) == .ack)
        let received = try await run("/usr/bin/amqp-consume", ["-u", Self.toolsURL, "-q", queue.queue, "-c", "1", "/bin/cat"])
        #expect(received == Array(Self.body.readableBytesView))

        // amqp-publish to ours: its properties and string header arrive as sent.
        _ = try await run(
            "/usr/bin/amqp-publish",
            ["-u", Self.toolsURL, "-r", queue.queue, "-p", "-C", "text/plain", "-E", "utf-8", "-t", "replies", "-H", "x-origin: amqp-tools"],
            input: Array("from rabbitmq-c\n".utf8))
        var message: AMQPMessage?
        try await eventually("amqp-publish's message in the queue") {
            message = try await channel.get(queue: queue.queue, noAck: true)
            return message != nil
        }
        let got = try #require(message)
        #expect(got.body == "from rabbitmq-c\n")
        #expect(got.properties.contentType == "text/plain" && got.properties.contentEncoding == "utf-8")
        #expect(got.properties.deliveryMode == 2 && got.properties.replyTo == "replies")
        #expect(got.properties.headers?["x-origin"] == "amqp-tools")
        try await channel.queueDelete(queue.queue)
        try await connection.close()
    }
}
