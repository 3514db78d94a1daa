import Bytes
import Glibc
import RESP
import Testing
import TestSupport

/// `RedisConnection` and `RedisClient` against a peer that breaks the protocol: the affected
/// calls fail with typed errors, nothing crashes, and the pool recovers with a new connection.
@Suite struct MaliciousPeerTests {
    /// A reply that breaks RESP and the decoder error it must surface as.
    struct BadReply: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: String
        let error: RESPError
        var testDescription: String { name }
    }

    static let badReplies = [
        BadReply(name: "bad type byte", bytes: "!OK\r\n", error: .unknownType(byte: UInt8(ascii: "!"), offset: 0)),
        BadReply(name: "bare LF", bytes: "+OK\n", error: .invalidLineEnding(offset: 3)),
        BadReply(name: "leading zero in a length", bytes: "$05\r\nhello\r\n", error: .invalidLength(offset: 2)),
        BadReply(name: "negative length other than -1", bytes: "$-2\r\n", error: .invalidLength(offset: 2)),
        BadReply(name: "bulk payload without CRLF", bytes: "$2\r\nhiXX", error: .invalidLineEnding(offset: 6)),
        BadReply(name: "integer overflow", bytes: ":9223372036854775808\r\n", error: .invalidInteger(offset: 19)),
        // Only the header arrives: the limit must be enforced before any payload is buffered.
        BadReply(name: "bulk length over the limit", bytes: "$536870913\r\n",
                 error: .bulkTooLong(offset: 0, limit: RESPDecoder.Limits().maxBulkLength)),
        BadReply(name: "array count over the limit", bytes: "*99999999999\r\n",
                 error: .tooManyElements(offset: 0, limit: RESPDecoder.Limits().maxArrayCount)),
    ]

    @Test(arguments: badReplies)
    func malformedReplyFailsTheCallAndClosesTheConnection(_ reply: BadReply) async throws {
        let peer = try await FakeRedisPeer.start { session, _ in
            _ = try await session.readCommand()
            try await session.send(reply.bytes)
            _ = try await session.readCommand()
        }
        defer { peer.stop() }
        let connection = try await RedisConnection.connect(configuration: peer.configuration)
        defer { connection.close() }
        await #expect(throws: RedisClientError.protocolViolation(reply.error)) {
            try await connection.send(["PING"])
        }
        #expect(connection.isClosed)
        let error = await #expect(throws: RedisClientError.self) { try await connection.send(["PING"]) }
        #expect(error?.code == .connectionClosed)
        #expect(error?.message.contains("invalid reply") == true, "\(String(describing: error))")
        // The cause stays with the error.
        #expect(error?.protocolError == reply.error)
    }

    @Test func pipelinedCallsAllFailOnAMalformedReply() async throws {
        let peer = try await FakeRedisPeer.start { session, _ in
            for _ in 0..<3 { _ = try await session.readCommand() }
            try await session.send("+first\r\n?\r\n")
            _ = try await session.readCommand()
        }
        defer { peer.stop() }
        let connection = try await RedisConnection.connect(configuration: peer.configuration)
        defer { connection.close() }
        let first = Task { try await connection.send(["ECHO", "1"]) }
        // The first command must be written first; the other two fail alike in either order.
        try await eventually("the first command to be written") { connection.inFlight > 0 }
        let others = [Task { try await connection.send(["ECHO", "2"]) }, Task { try await connection.send(["ECHO", "3"]) }]
        #expect(try await first.value == .simpleString(ByteBuffer(string: "first")))
        for other in others {
            await #expect(throws: RedisClientError.protocolViolation(.unknownType(byte: UInt8(ascii: "?"), offset: 8))) {
                try await other.value
            }
        }
    }

    @Test func moreRepliesThanCommandsCloseTheConnection() async throws {
        let peer = try await FakeRedisPeer.start { session, _ in
            _ = try await session.readCommand()
            try await session.send("+PONG\r\n+UNSOLICITED\r\n")
            _ = try await session.readCommand()
        }
        defer { peer.stop() }
        let connection = try await RedisConnection.connect(configuration: peer.configuration)
        defer { connection.close() }
        // The reply that was asked for still arrives; the extra one ends the connection, since
        // later replies could no longer be matched to their commands.
        #expect(try await connection.send(["PING"]) == .simpleString(ByteBuffer(string: "PONG")))
        // Both replies usually arrive in one read; wait in case the extra one comes separately,
        // since a command sent before it arrives would take it as its reply.
        try await eventually("the connection to close") { connection.isClosed }
        let error = await #expect(throws: RedisClientError.self) { try await connection.send(["PING"]) }
        #expect(error?.code == .connectionClosed)
        #expect(error?.message.contains("no command was waiting") == true, "\(String(describing: error))")
    }

    @Test func replyBeforeAnyCommandClosesTheConnection() async throws {
        let peer = try await FakeRedisPeer.start { session, _ in
            try await session.send(":1\r\n")
            _ = try await session.readCommand()
        }
        defer { peer.stop() }
        let connection = try await RedisConnection.connect(configuration: peer.configuration)
        defer { connection.close() }
        try await eventually("the connection to close") { connection.isClosed }
        await #expect(throws: RedisClientError.self) { try await connection.send(["PING"]) }
    }

    @Test func replyTrickledByteByByteIsDecoded() async throws {
        let reply = "*3\r\n$5\r\nhello\r\n:-42\r\n*2\r\n$-1\r\n+OK\r\n"
        let peer = try await FakeRedisPeer.start { session, _ in
            _ = try await session.readCommand()
            try await session.trickle(reply, pause: .milliseconds(2))
            try await session.answerNormally()
        }
        defer { peer.stop() }
        let connection = try await RedisConnection.connect(configuration: peer.configuration)
        defer { connection.close() }
        let value = try await connection.send(["LRANGE", "k", "0", "-1"])
        #expect(value == .array([
            .bulkString(ByteBuffer(string: "hello")), .integer(-42),
            .array([.nullBulkString, .simpleString(ByteBuffer(string: "OK"))]),
        ]))
        #expect(try await connection.send(["PING"]) == .simpleString(ByteBuffer(string: "PONG")))
        #expect(!connection.isClosed)
    }

    @Test(arguments: ["$10\r\nhel", "*2\r\n:1\r\n", "+OK\r", "$5"])
    func connectionClosedMidReplyFailsTheCall(_ partial: String) async throws {
        let peer = try await FakeRedisPeer.start { session, _ in
            _ = try await session.readCommand()
            try await session.send(partial)
        }
        defer { peer.stop() }
        let connection = try await RedisConnection.connect(configuration: peer.configuration)
        defer { connection.close() }
        let error = await #expect(throws: RedisClientError.self) { try await connection.send(["GET", "k"]) }
        #expect(error?.code == .connectionClosed, "\(String(describing: error))")
        #expect(connection.isClosed)
    }

    @Test func resetByThePeerIsATypedTransportError() async throws {
        let peer = try await FakeRedisPeer.start { session, _ in
            // Reads one byte of the command and closes: the unread rest makes the kernel send RST.
            _ = try await session.connection.read(maxBytes: 1, timeout: .seconds(5))
        }
        defer { peer.stop() }
        let connection = try await RedisConnection.connect(configuration: peer.configuration)
        defer { connection.close() }
        let error = await #expect(throws: RedisClientError.self) { try await connection.send(["PING"]) }
        #expect(error == .connectionLost(.connectionReset(operation: "read", address: "127.0.0.1:\(peer.port)", errno: ECONNRESET)))
        #expect(connection.isClosed)
        // Later commands are told the connection is gone, with the cause in the reason.
        let later = await #expect(throws: RedisClientError.self) { try await connection.send(["PING"]) }
        #expect(later?.code == .connectionClosed)
        #expect(later?.message.hasPrefix("connection lost: read 127.0.0.1:\(peer.port): connection closed by peer") == true, "\(String(describing: later))")
        #expect(later?.transportError == error?.transportError)
    }

    /// Replies to the setup commands (AUTH here) that break the protocol or stop short.
    static let badHandshakes: [(reply: String, closeAfter: Bool)] = [("+OK\r\r\n", false), ("*1\r\n", true), ("$3\r\nOK\r\n", false)]

    @Test(arguments: badHandshakes.indices)
    func brokenHandshakeReplyFailsConnect(_ index: Int) async throws {
        let handshake = Self.badHandshakes[index]
        let peer = try await FakeRedisPeer.start { session, _ in
            _ = try await session.readCommand()
            try await session.send(handshake.reply)
            if !handshake.closeAfter { _ = try await session.readCommand() }
        }
        defer { peer.stop() }
        var configuration = peer.configuration
        configuration.password = "secret"
        let error = await #expect(throws: RedisClientError.self) { try await RedisConnection.connect(configuration: configuration) }
        let expected: [RedisClientError] = [
            .protocolViolation(.invalidLineEnding(offset: 3)),
            .connectionClosed(reason: "server closed the connection during setup"),
            .protocolViolation(.invalidLineEnding(offset: 7)),
        ]
        #expect(error == expected[index], "reply \(handshake.reply.debugDescription) to AUTH")
    }

    /// What the first connection of a pool does wrong before a well-behaved one takes over.
    static let poolMisbehaviours: [(name: String, reply: String, closeAfter: Bool)] = [
        ("malformed reply", "+OK\n", false),
        ("oversized bulk header", "$999999999999\r\n", false),
        ("closed mid-reply", "$10\r\nhel", true),
    ]

    @Test(arguments: poolMisbehaviours.indices)
    func poolReplacesABrokenConnection(_ index: Int) async throws {
        let misbehaviour = Self.poolMisbehaviours[index]
        let peer = try await FakeRedisPeer.start { session, number in
            guard number == 0 else { return try await session.answerNormally() }
            _ = try await session.readCommand()
            try await session.send(misbehaviour.reply)
            if !misbehaviour.closeAfter { _ = try await session.readCommand() }
        }
        defer { peer.stop() }
        try await RedisClient(configuration: peer.configuration, options: .init(maxConnections: 1)).withRunning { client in
            try await Self.recovers(client, peer, misbehaviour.name)
        }
    }

    private static func recovers(_ client: RedisClient, _ peer: FakeRedisPeer, _ misbehaviour: String) async throws {
        await #expect(throws: RedisClientError.self, "\(misbehaviour)") { try await client.send(["PING"]) }
        #expect(try await client.send(["PING"]) == .simpleString(ByteBuffer(string: "PONG")))
        #expect(try await client.send(["PING"]) == .simpleString(ByteBuffer(string: "PONG")))
        #expect(peer.connections == 2)
        #expect(client.openConnections == 1)
    }
}
