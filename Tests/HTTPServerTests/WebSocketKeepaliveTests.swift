import Testing
@testable import HTTPServer

@Suite struct WebSocketKeepaliveTests {
    let start = ContinuousClock.now

    @Test func pingsAfterTheIntervalAndGivesUpAfterTheTimeout() {
        var keepalive = WebSocketKeepalive(interval: .seconds(30), timeout: .seconds(10), start: start)
        #expect(keepalive.firstDeadline == start + .seconds(30))
        #expect(keepalive.due(at: start + .seconds(29)) == .wait(until: start + .seconds(30)))
        #expect(keepalive.due(at: start + .seconds(30)) == .ping(answerBy: start + .seconds(40)))
        #expect(keepalive.due(at: start + .seconds(35)) == .wait(until: start + .seconds(40)), "no second ping while one is out")
        #expect(keepalive.due(at: start + .seconds(40)) == .giveUp)
    }

    @Test func anythingHeardCountsAsAnAnswerAndPutsThePingOff() {
        var keepalive = WebSocketKeepalive(interval: .seconds(30), timeout: .seconds(10), start: start)
        keepalive.heard(at: start + .seconds(20))
        #expect(keepalive.due(at: start + .seconds(30)) == .wait(until: start + .seconds(50)), "the timer was early")
        #expect(keepalive.due(at: start + .seconds(50)) == .ping(answerBy: start + .seconds(60)))
        keepalive.heard(at: start + .seconds(55))
        #expect(keepalive.pingSent == nil)
        #expect(keepalive.due(at: start + .seconds(60)) == .wait(until: start + .seconds(85)))
    }

    @Test func bytesHeardBeforeThePingDoNotAnswerIt() {
        var keepalive = WebSocketKeepalive(interval: .seconds(1), timeout: .seconds(1), start: start)
        #expect(keepalive.due(at: start + .seconds(2)) == .ping(answerBy: start + .seconds(3)))
        keepalive.heard(at: start + .seconds(1))
        #expect(keepalive.due(at: start + .seconds(3)) == .giveUp)
    }
}

@Suite struct WebSocketBroadcastTests {
    @Test func readersGetTheNewestValueAndSkipTheRest() async throws {
        let broadcast = WebSocketBroadcast<Int>()
        #expect(broadcast.latest == nil)
        for value in 1...5 { broadcast.publish(value) }
        let (version, value) = try await broadcast.next(after: 0)
        #expect(version == 5 && value == 5, "a reader that was away gets the newest, not the first it missed")
        let waiting = Task { try await broadcast.next(after: 5) }
        while broadcast.waitingReaders == 0 { await Task.yield() }
        broadcast.publish(6)
        #expect(try await waiting.value == (6, 6))
    }

    @Test func aWaitingReaderIsCancelled() async throws {
        let broadcast = WebSocketBroadcast<Int>()
        let waiting = Task { try await broadcast.next(after: 0) }
        while broadcast.waitingReaders == 0 { await Task.yield() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(broadcast.waitingReaders == 0)
    }
}
