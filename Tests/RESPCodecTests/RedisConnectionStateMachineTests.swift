import Bytes
@testable import RESP
import Testing
import TestSupport

@Suite struct RedisConnectionStateMachineTests {
    private let start = ContinuousClock.now

    private func machine(_ configuration: RedisConfiguration = RedisConfiguration()) -> RedisConnectionStateMachine {
        RedisConnectionStateMachine(configuration: configuration, now: start)
    }

    /// Feeds `replies` under every fragmentation to a copy of `machine` and checks the completions.
    private func expectCompletions(
        _ machine: RedisConnectionStateMachine,
        receiving replies: String,
        _ expected: [RedisConnectionStateMachine.Completion],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let completions = decodedEveryWay(Array(replies.utf8), sourceLocation: sourceLocation) { chunks in
            var copy = machine
            return chunks.flatMap { copy.received(ByteBuffer(bytes: $0)) }
        }
        #expect(completions == expected, sourceLocation: sourceLocation)
    }

    @Test func commandsAreWrittenBackToBackAndRepliesMatchedInOrder() throws {
        var connection = machine()
        #expect(connection.state == .ready)
        try connection.submit(id: 1, arguments: ["SET", "k", "v"], now: start)
        try connection.submit(id: 2, arguments: ["GET", "k"], now: start)
        let written = connection.takeOutbound()
        #expect(written.map(String.init(describing:)) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        let nothingMore = connection.takeOutbound()
        #expect(nothingMore == nil)
        #expect(connection.inFlight == 2)
        expectCompletions(connection, receiving: "+OK\r\n$1\r\nv\r\n", [
            .init(id: 1, result: .success(simple("OK"))),
            .init(id: 2, result: .success(bulk("v"))),
        ])
    }

    @Test func errorRepliesAreDeliveredToTheirOwnCommand() throws {
        var connection = machine()
        try connection.submit(id: 7, arguments: ["INCR", "list"], now: start)
        try connection.submit(id: 8, arguments: ["PING"], now: start)
        let wrongType = RESPValue.error(ByteBuffer(string: "WRONGTYPE Operation against a key holding the wrong kind of value"))
        expectCompletions(connection, receiving: "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+PONG\r\n", [
            .init(id: 7, result: .success(wrongType)),
            .init(id: 8, result: .success(simple("PONG"))),
        ])
    }

    @Test func handshakeSendsAuthSelectAndNameThenBecomesReady() {
        var connection = machine(RedisConfiguration(username: "app", password: "pw", database: 2, clientName: "orders"))
        #expect(connection.state == .handshaking)
        let written = connection.takeOutbound()
        #expect(written.map(String.init(describing:)) == "*3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$6\r\norders\r\n")
        let firstTwo = connection.received(ByteBuffer(string: "+OK\r\n+OK\r\n"))
        #expect(firstTwo.isEmpty)
        #expect(connection.state == .handshaking)
        let last = connection.received(ByteBuffer(string: "+OK\r\n"))
        #expect(last.isEmpty)
        #expect(connection.state == .ready)
    }

    @Test func failedAuthClosesWithTheServerError() throws {
        var connection = machine(RedisConfiguration(password: "wrong"))
        _ = connection.takeOutbound()
        try connection.submit(id: 1, arguments: ["PING"], now: start)
        let wrongPass = RedisServerError(reply: "WRONGPASS invalid username-password pair or user is disabled.")
        expectCompletions(connection, receiving: "-WRONGPASS invalid username-password pair or user is disabled.\r\n", [
            .init(id: 1, result: .failure(.server(wrongPass))),
        ])
        _ = connection.received(ByteBuffer(string: "-WRONGPASS invalid username-password pair or user is disabled.\r\n"))
        #expect(connection.state == .closed(.server(wrongPass)))
        // A later command is told the connection is closed, and why, with the server's reply kept.
        let later = #expect(throws: RedisClientError.self) { try connection.submit(id: 2, arguments: ["PING"], now: start) }
        #expect(later?.code == .connectionClosed)
        #expect(later?.message == "server error: WRONGPASS invalid username-password pair or user is disabled.")
        #expect(later?.serverError == wrongPass)
    }

    @Test func cancelledCommandsRepliesAreDrainedNotMisdelivered() throws {
        var connection = machine()
        for id: UInt64 in 1...3 { try connection.submit(id: id, arguments: ["GET", "k\(id)"], now: start) }
        let waiting = connection.cancel(id: 2)
        let again = connection.cancel(id: 2)
        let unknown = connection.cancel(id: 99)
        #expect(waiting && !again && !unknown)
        expectCompletions(connection, receiving: "$2\r\nv1\r\n$2\r\nv2\r\n$2\r\nv3\r\n", [
            .init(id: 1, result: .success(bulk("v1"))),
            .init(id: 3, result: .success(bulk("v3"))),
        ])
    }

    @Test func pipelineCompletesOnceWithEveryReplyInOrder() throws {
        var connection = machine()
        try connection.submit(id: 1, pipeline: [["SET", "k", "v"], ["GET", "k"], ["INCR", "k"]], now: start)
        try connection.submit(id: 2, arguments: ["PING"], now: start)
        let written = connection.takeOutbound()
        #expect(written.map(String.init(describing:)) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n")
        #expect(connection.inFlight == 4)
        expectCompletions(connection, receiving: "+OK\r\n$1\r\nv\r\n-ERR not an integer\r\n+PONG\r\n", [
            .init(id: 1, result: .success(.error(ByteBuffer(string: "ERR not an integer"))), earlier: [simple("OK"), bulk("v")]),
            .init(id: 2, result: .success(simple("PONG"))),
        ])
    }

    @Test func pipelineWithAnEmptyCommandIsRefusedWithoutQueueing() {
        var connection = machine()
        #expect(throws: RedisClientError.invalidCommand(.emptyCommand)) {
            try connection.submit(id: 1, pipeline: [["PING"], []], now: start)
        }
        let outbound = connection.takeOutbound()
        #expect(connection.inFlight == 0 && outbound == nil)
    }

    @Test func cancelledPipelineDropsItsRepliesEvenWhenSomeHaveArrived() throws {
        var connection = machine()
        try connection.submit(id: 1, pipeline: [["GET", "a"], ["GET", "b"], ["GET", "c"]], now: start)
        try connection.submit(id: 2, pipeline: [["GET", "d"], ["GET", "e"]], now: start)
        let first = connection.received(ByteBuffer(string: "$1\r\na\r\n"))
        #expect(first.isEmpty)
        let waiting = connection.cancel(id: 1)
        let again = connection.cancel(id: 1)
        #expect(waiting && !again)
        expectCompletions(connection, receiving: "$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", [
            .init(id: 2, result: .success(bulk("e")), earlier: [bulk("d")]),
        ])
    }

    @Test func lostConnectionFailsAPipelineOnce() throws {
        var connection = machine()
        try connection.submit(id: 1, pipeline: [["GET", "a"], ["GET", "b"]], now: start)
        _ = connection.received(ByteBuffer(string: "$1\r\na\r\n"))
        let lost = RedisClientError.connectionClosed(reason: "peer closed the connection")
        let failed = connection.connectionLost(lost)
        #expect(failed == [.init(id: 1, result: .failure(lost))])
    }

    @Test func timeoutOfTheOldestCommandClosesTheConnection() throws {
        var connection = machine(RedisConfiguration(commandTimeout: .seconds(5)))
        try connection.submit(id: 1, arguments: ["BLPOP", "q", "0"], now: start)
        try connection.submit(id: 2, arguments: ["PING"], now: start + .seconds(1))
        #expect(connection.nextDeadline == start + .seconds(5))
        let early = connection.checkTimeout(now: start + .seconds(4))
        #expect(early.isEmpty)
        #expect(!connection.isClosed)
        let completions = connection.checkTimeout(now: start + .seconds(5))
        #expect(completions == [
            .init(id: 1, result: .failure(.commandTimeout(.seconds(5)))),
            .init(id: 2, result: .failure(.connectionClosed(reason: "an earlier command timed out"))),
        ])
        #expect(connection.isClosed)
        let outbound = connection.takeOutbound()
        let late = connection.received(ByteBuffer(string: "+PONG\r\n"))
        #expect(outbound == nil && late.isEmpty)
    }

    @Test func timedOutPipelineGetsTheTimeoutNotAnEarlierCommandsError() throws {
        var connection = machine(RedisConfiguration(commandTimeout: .seconds(5)))
        try connection.submit(id: 1, pipeline: [["GET", "a"], ["BLPOP", "q", "0"], ["GET", "b"]], now: start)
        try connection.submit(id: 2, arguments: ["PING"], now: start + .seconds(1))
        // The first reply arrives; the pipeline's second command is now the oldest and never answers.
        let first = connection.received(ByteBuffer(string: "$1\r\na\r\n"))
        #expect(first.isEmpty)
        let completions = connection.checkTimeout(now: start + .seconds(5))
        #expect(completions == [
            .init(id: 1, result: .failure(.commandTimeout(.seconds(5)))),
            .init(id: 2, result: .failure(.connectionClosed(reason: "an earlier command timed out"))),
        ])
    }

    @Test func timedOutCancelledCommandFailsTheOthersAsClosed() throws {
        var connection = machine(RedisConfiguration(commandTimeout: .seconds(5)))
        try connection.submit(id: 1, arguments: ["BLPOP", "q", "0"], now: start)
        try connection.submit(id: 2, pipeline: [["GET", "a"], ["GET", "b"]], now: start)
        let cancelled = connection.cancel(id: 1)
        #expect(cancelled)
        let completions = connection.checkTimeout(now: start + .seconds(5))
        #expect(completions == [.init(id: 2, result: .failure(.connectionClosed(reason: "an earlier command timed out")))])
    }

    @Test func invalidBytesFailEveryWaiterWithTheProtocolError() throws {
        var connection = machine()
        try connection.submit(id: 1, arguments: ["PING"], now: start)
        try connection.submit(id: 2, arguments: ["PING"], now: start)
        expectCompletions(connection, receiving: "+PONG\r\n!oops\r\n", [
            .init(id: 1, result: .success(simple("PONG"))),
            .init(id: 2, result: .failure(.protocolViolation(.unknownType(byte: 0x21, offset: 7)))),
        ])
    }

    @Test func replyWithoutAWaitingCommandClosesTheConnection() {
        var connection = machine()
        let completions = connection.received(ByteBuffer(string: "+PONG\r\n"))
        #expect(completions.isEmpty)
        #expect(connection.state == .closed(.connectionClosed(reason: "server sent a reply no command was waiting for")))
    }

    @Test func lostConnectionFailsEveryWaiter() throws {
        var connection = machine()
        try connection.submit(id: 1, arguments: ["SET", "k", "v"], now: start)
        try connection.submit(id: 2, arguments: ["GET", "k"], now: start)
        let lost = RedisClientError.connectionClosed(reason: "peer closed the connection")
        let failed = connection.connectionLost(lost)
        #expect(failed == [.init(id: 1, result: .failure(lost)), .init(id: 2, result: .failure(lost))])
        let again = connection.connectionLost(lost)
        #expect(again.isEmpty)
        #expect(throws: lost) { try connection.submit(id: 3, arguments: ["PING"], now: start) }
    }

    @Test func emptyCommandIsRefusedWithoutQueueing() {
        var connection = machine()
        #expect(throws: RedisClientError.invalidCommand(.emptyCommand)) { try connection.submit(id: 1, arguments: [], now: start) }
        let outbound = connection.takeOutbound()
        #expect(connection.inFlight == 0 && outbound == nil)
    }
}
