import Services
import Testing

/// The bodies of `orders.queue` and `orders.topic` messages: one document or a batch of them.
@Suite struct MessageParsingTests {
    private let created = OrderEvent(order: Order(id: "o-1", sku: "s", qty: 2, email: "a@example.com"), decision: OrderDecision(state: "reserved", reason: "", isFirst: true))
    private let rejected = OrderEvent(order: Order(id: "o-2", sku: "t", qty: 1), decision: OrderDecision(state: "rejected", reason: "unknown_sku", isFirst: true))

    @Test func eventsRoundTripAloneAndInABatch() throws {
        #expect(try OrderEvent.parseMessage(created.json) == [created])
        let batch = Array("[".utf8) + created.json + Array(",".utf8) + rejected.json + Array("]".utf8)
        #expect(try OrderEvent.parseMessage(batch) == [created, rejected])
        let spaced = Array(" [ ".utf8) + rejected.json + Array(" ] \n".utf8)
        #expect(try OrderEvent.parseMessage(spaced) == [rejected])
    }

    @Test func ordersRoundTripAloneAndInABatch() throws {
        let first = Order(id: "a", sku: "b", qty: 1)
        let second = Order(id: "c", sku: "d", qty: 3, email: "x@example.com")
        #expect(try Order.parseMessage(first.canonicalJSON) == [first])
        let batch = Array("[".utf8) + first.canonicalJSON + Array(",".utf8) + second.canonicalJSON + Array("]".utf8)
        #expect(try Order.parseMessage(batch) == [first, second])
    }

    @Test(arguments: ["", "[]", "[{}", "[1]", "{}", #"[{"id":"a","sku":"b","qty":1}] x"#, #"{"id":"a","sku":"b","qty":1},{}"#])
    func malformedBodiesAreRefused(body: String) {
        #expect(throws: OrderInputError.self) { try Order.parseMessage(Array(body.utf8)) }
        #expect(throws: OrderInputError.self) { try OrderEvent.parseMessage(Array(body.utf8)) }
    }

    @Test func anEventNeedsAKnownKindAReasonAndAValidOrder() {
        let valid = #""id":"a","sku":"b","qty":1,"reason":"""#
        #expect(throws: OrderInputError.invalidField("event")) { try OrderEvent.parseMessage(Array("{\(valid)}".utf8)) }
        #expect(throws: OrderInputError.invalidField("event")) { try OrderEvent.parseMessage(Array(#"{"event":"order.lost",\#(valid)}"#.utf8)) }
        #expect(throws: OrderInputError.invalidField("event")) { try OrderEvent.parseMessage(Array(#"{"event":1,\#(valid)}"#.utf8)) }
        #expect(throws: OrderInputError.invalidField("reason")) { try OrderEvent.parseMessage(Array(#"{"event":"order.created","id":"a","sku":"b","qty":1}"#.utf8)) }
        #expect(throws: OrderInputError.invalidField("qty")) { try OrderEvent.parseMessage(Array(#"{"event":"order.created","id":"a","sku":"b","qty":0,"reason":""}"#.utf8)) }
        #expect(throws: OrderInputError.invalidField("id")) { try OrderEvent.parseMessage(Array(#"[{"event":"order.created","id":"","sku":"b","qty":1,"reason":""}]"#.utf8)) }
    }

    @Test func anOrderMessageIgnoresEventMembers() throws {
        let orders = try Order.parseMessage(Array(#"{"event":"order.created","id":"a","sku":"b","qty":1,"reason":"x"}"#.utf8))
        #expect(orders == [Order(id: "a", sku: "b", qty: 1)])
    }
}
