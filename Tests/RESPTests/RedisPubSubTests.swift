import Bytes
import RESP
import Synchronization
import Testing
import TestSupport
import Transport

/// Runs a subscriber and collects its events so a test can wait for one.
actor EventLog {
    private var events: [RedisPubSubEvent] = []
    private var arrivals: [ContinuousClock.Instant] = []
    private let running: Task<Void, Never>

    init(_ subscriber: RedisSubscriber) {
        // Owned by the log: `stop()` cancels it, which finishes the events and so the reader below.
        running = Task { await subscriber.run() }
        Task { [weak self] in
            for await event in subscriber.events { await self?.append(event) }
        }
    }

    /// Stops the subscriber: cancels its `run()` and waits for it to return.
    func stop() async {
        running.cancel()
        await running.value
    }

    private func append(_ event: RedisPubSubEvent) {
        events.append(event)
        arrivals.append(.now)
    }

    /// The events so far and when each arrived.
    private var log: (events: [RedisPubSubEvent], arrivals: [ContinuousClock.Instant]) { (events, arrivals) }

    /// Waits up to `limit` for an event `matches` accepts; returns it and when it arrived.
    /// Nonisolated, so that the wait's condition runs where `matches` was made.
    nonisolated func first(within limit: Duration, where matches: (RedisPubSubEvent) -> Bool) async -> (RedisPubSubEvent, ContinuousClock.Instant)? {
        var found: (RedisPubSubEvent, ContinuousClock.Instant)?
        _ = try? await eventually("a matching event", within: limit, every: .milliseconds(5)) {
            let log = await log
            guard let index = log.events.firstIndex(where: matches) else { return false }
            found = (log.events[index], log.arrivals[index])
            return true
        }
        return found
    }

    /// Everything received so far, for failure messages.
    var received: [RedisPubSubEvent] { events }

    /// Waits up to `limit` for the `occurrence`-th event equal to `expected`.
    nonisolated func waitFor(_ expected: RedisPubSubEvent, occurrence: Int = 1, within limit: Duration = .seconds(5)) async -> Bool {
        (try? await eventually("\(expected)", within: limit) { await received.filter { $0 == expected }.count >= occurrence }) != nil
    }
}

@Suite(.requires(.redis)) struct RedisSubscriberTests {
    @Test func receivesChannelAndPatternMessages() async throws {
        let subscriber = RedisSubscriber(configuration: try RedisServer.configuration())
        let log = EventLog(subscriber)
        let publisher = try await RedisServer.connect()
        defer { publisher.close() }
        let channel = RedisServer.prefix() + "events"
        await subscriber.subscribe(channels: [channel])
        await subscriber.subscribe(patterns: [channel + "*"])
        #expect(await log.waitFor(.subscribed(channelOrPattern: channel, count: 1)))
        #expect(await log.waitFor(.subscribed(channelOrPattern: channel + "*", count: 2)))
        #expect(try await publisher.send(["PUBLISH", channel, "hello"]) == .integer(2))
        #expect(await log.waitFor(.message(channel: channel, payload: ByteBuffer(string: "hello"))))
        #expect(await log.waitFor(.patternMessage(pattern: channel + "*", channel: channel, payload: ByteBuffer(string: "hello"))))
        await subscriber.unsubscribe(channels: [channel])
        #expect(await log.waitFor(.unsubscribed(channelOrPattern: channel, count: 1)))
        await log.stop()
    }

    @Test func resubscribesAfterTheServerRestarts() async throws {
        let server = try await ScratchRedisServer()
        try await server.start()
        let configuration = RedisConfiguration(port: server.port)
        let subscriber = RedisSubscriber(configuration: configuration, backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(100)))
        let log = EventLog(subscriber)
        await subscriber.subscribe(channels: ["orders"])
        #expect(await log.waitFor(.subscribed(channelOrPattern: "orders", count: 1)))

        try await server.stop()
        try await server.start()
        #expect(await log.waitFor(.subscribed(channelOrPattern: "orders", count: 1), occurrence: 2))
        let publisher = try await RedisConnection.connect(configuration: configuration)
        defer { publisher.close() }
        #expect(try await publisher.send(["PUBLISH", "orders", "after restart"]) == .integer(1))
        #expect(await log.waitFor(.message(channel: "orders", payload: ByteBuffer(string: "after restart"))))
        await log.stop()
        try await server.stop()
    }

    @Test func refusedSubscriptionArrivesAsATypedErrorAndOthersStillWork() async throws {
        let server = try await ScratchRedisServer()
        try await server.start()
        let admin = try await RedisConnection.connect(configuration: RedisConfiguration(port: server.port))
        defer { admin.close() }
        _ = try await admin.send(["ACL", "SETUSER", "listener", "on", ">pw", "~*", "resetchannels", "&allowed:*", "+@all"])
        let subscriber = RedisSubscriber(configuration: RedisConfiguration(port: server.port, username: "listener", password: "pw"))
        let log = EventLog(subscriber)
        await subscriber.subscribe(channels: ["allowed:orders"])
        #expect(await log.waitFor(.subscribed(channelOrPattern: "allowed:orders", count: 1)))
        await subscriber.subscribe(channels: ["forbidden"])
        let refusal = RedisServerError(reply: "NOPERM this user has no permissions to access one of the channels used as arguments")
        #expect(await log.waitFor(.serverError(refusal)))
        // The refusal did not break the connection: messages on the allowed channel still arrive.
        #expect(try await admin.send(["PUBLISH", "allowed:orders", "still here"]) == .integer(1))
        #expect(await log.waitFor(.message(channel: "allowed:orders", payload: ByteBuffer(string: "still here"))))
        await log.stop()
        try await server.stop()
    }
}

/// The subscriber's PING probe against scripted peers (no server needed).
@Suite struct RedisSubscriberHeartbeatTests {
    static let confirmation = "*3\r\n$9\r\nsubscribe\r\n$6\r\norders\r\n:1\r\n"
    static let pong = "*2\r\n$4\r\npong\r\n$0\r\n\r\n"

    @Test func silentPeerIsNoticedAndReplaced() async throws {
        let probes = Mutex<[[String]]>([])
        let peer = try await FakeRedisPeer.start { session, number in
            _ = try await session.readCommand()
            try await session.send(Self.confirmation)
            guard number == 0 else { return try await session.answerPings() }
            // The first connection goes silent: it reads the probe and never answers.
            if let probe = try await session.readCommand() { probes.withLock { $0.append(probe) } }
            _ = try? await session.readCommand()
        }
        defer { peer.stop() }
        var configuration = peer.configuration
        configuration.commandTimeout = .milliseconds(500)
        let subscriber = RedisSubscriber(configuration: configuration, backoff: Backoff(initial: .milliseconds(10), maximum: .seconds(1)), pingInterval: .milliseconds(100))
        let log = EventLog(subscriber)
        await subscriber.subscribe(channels: ["orders"])
        // Generous bounds: they only have to tell "reconnected" from "never noticed".
        let reconnected = await log.waitFor(.subscribed(channelOrPattern: "orders", count: 1), occurrence: 2, within: .seconds(30))
        let received = await log.received
        #expect(reconnected, "peer: \(peer.summary); events: \(received)")
        #expect(probes.withLock { $0 } == [["PING"]])
        await log.stop()
    }

    @Test func answeredProbesKeepTheConnection() async throws {
        let answered = Mutex(0)
        let peer = try await FakeRedisPeer.start { session, _ in
            _ = try await session.readCommand()
            try await session.send(Self.confirmation)
            try await session.answerPings { answered.withLock { $0 += 1 } }
        }
        defer { peer.stop() }
        var configuration = peer.configuration
        // Far beyond any scheduling delay, so only a missing answer could end the connection.
        configuration.commandTimeout = .seconds(10)
        let subscriber = RedisSubscriber(configuration: configuration, backoff: Backoff(initial: .milliseconds(10), maximum: .seconds(1)), pingInterval: .milliseconds(50))
        let log = EventLog(subscriber)
        await subscriber.subscribe(channels: ["orders"])
        #expect(await log.waitFor(.subscribed(channelOrPattern: "orders", count: 1), within: .seconds(30)))
        try await eventually("the quiet connection probed again after each answer", within: .seconds(30)) { answered.withLock { $0 } >= 3 }
        #expect(peer.connections == 1)
        await log.stop()
    }
}

extension FakeRedisPeer.Session {
    /// Answers PING in subscribed mode (`["pong", ""]`) until the client goes away; other
    /// commands get no reply.
    func answerPings(_ answered: @Sendable () -> Void = {}) async throws {
        while let command = try await readCommand() {
            guard command == ["PING"] else { continue }
            try await send(RedisSubscriberHeartbeatTests.pong)
            answered()
        }
    }
}
