import Bytes
import RESP
import Testing

/// What the subscriber makes of the values a server pushes.
@Suite struct RedisPubSubEventTests {
    private func push(_ parts: [RESPValue]) -> RESPValue { .array(parts) }

    @Test func pushedArraysBecomeEvents() {
        #expect(RedisPubSubEvent(push([bulk("message"), bulk("orders"), bulk("hi")])) == .message(channel: "orders", payload: ByteBuffer(string: "hi")))
        #expect(RedisPubSubEvent(push([bulk("pmessage"), bulk("o*"), bulk("orders"), bulk("hi")])) == .patternMessage(pattern: "o*", channel: "orders", payload: ByteBuffer(string: "hi")))
        #expect(RedisPubSubEvent(push([bulk("subscribe"), bulk("orders"), .integer(1)])) == .subscribed(channelOrPattern: "orders", count: 1))
        #expect(RedisPubSubEvent(push([bulk("psubscribe"), bulk("o*"), .integer(2)])) == .subscribed(channelOrPattern: "o*", count: 2))
        #expect(RedisPubSubEvent(push([bulk("unsubscribe"), .nullBulkString, .integer(0)])) == .unsubscribed(channelOrPattern: "", count: 0))
    }

    @Test func errorRepliesBecomeTypedServerErrors() {
        let refused = RedisPubSubEvent(.error(ByteBuffer(string: "NOPERM this user has no permissions to access one of the channels used as arguments")))
        #expect(refused == .serverError(RedisServerError(reply: "NOPERM this user has no permissions to access one of the channels used as arguments")))
        guard case .serverError(let error) = refused else { return }
        #expect(error.prefix == "NOPERM")
    }

    @Test func otherValuesAreNotEvents() {
        #expect(RedisPubSubEvent(.integer(1)) == nil)
        #expect(RedisPubSubEvent(push([bulk("message"), bulk("orders")])) == nil)
        #expect(RedisPubSubEvent(push([bulk("pong"), bulk("")])) == nil)
        #expect(RedisPubSubEvent(simple("PONG")) == nil)
        #expect(RedisPubSubEvent(push([bulk("subscribe"), bulk("orders"), bulk("1")])) == nil)
    }
}
