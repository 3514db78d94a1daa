import Bytes
import RESP
import Testing

/// Collects a subscriber's events so a test can wait for one.
actor EventLog {
    private var events: [RedisPubSubEvent] = []

    init(_ subscriber: RedisSubscriber) {
        Task { [weak self] in
            for await event in subscriber.events { await self?.append(event) }
        }
    }

    private func append(_ event: RedisPubSubEvent) { events.append(event) }

    /// Waits up to `limit` for the `occurrence`-th event equal to `expected`.
    func waitFor(_ expected: RedisPubSubEvent, occurrence: Int = 1, within limit: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if events.filter({ $0 == expected }).count >= occurrence { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}

@Suite struct RedisPubSubEventTests {
    private func push(_ parts: [RESPValue]) -> RESPValue { .array(parts) }

    @Test func pushedArraysBecomeEvents() {
        #expect(RedisPubSubEvent(push([bulk("message"), bulk("orders"), bulk("hi")])) == .message(channel: "orders", payload: ByteBuffer(string: "hi")))
        #expect(RedisPubSubEvent(push([bulk("pmessage"), bulk("o*"), bulk("orders"), bulk("hi")])) == .patternMessage(pattern: "o*", channel: "orders", payload: ByteBuffer(string: "hi")))
        #expect(RedisPubSubEvent(push([bulk("subscribe"), bulk("orders"), .integer(1)])) == .subscribed(channelOrPattern: "orders", count: 1))
        #expect(RedisPubSubEvent(push([bulk("psubscribe"), bulk("o*"), .integer(2)])) == .subscribed(channelOrPattern: "o*", count: 2))
        #expect(RedisPubSubEvent(push([bulk("unsubscribe"), .nullBulkString, .integer(0)])) == .unsubscribed(channelOrPattern: "", count: 0))
    }

    @Test func otherValuesAreNotEvents() {
        #expect(RedisPubSubEvent(.integer(1)) == nil)
        #expect(RedisPubSubEvent(push([bulk("message"), bulk("orders")])) == nil)
        #expect(RedisPubSubEvent(push([bulk("pong"), bulk("")])) == nil)
        #expect(RedisPubSubEvent(push([bulk("subscribe"), bulk("orders"), bulk("1")])) == nil)
    }
}

@Suite struct RedisSubscriberTests {
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
        await subscriber.close()
    }

    @Test func resubscribesAfterTheServerRestarts() async throws {
        let server = try await ScratchRedisServer()
        try await server.start()
        let configuration = RedisConfiguration(port: server.port)
        let subscriber = RedisSubscriber(configuration: configuration, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(100))
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
        await subscriber.close()
        try await server.stop()
    }
}
