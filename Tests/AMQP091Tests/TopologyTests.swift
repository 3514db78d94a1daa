@testable import AMQP091
import Testing

@Suite struct TopologyTests {
    @Test func serverNamedQueuesResolveToTheirLatestName() {
        var topology = Topology()
        topology.declared(QueueDeclare(queue: "", exclusive: true), name: "amq.gen-1")
        topology.bound(QueueBind(queue: "amq.gen-1", exchange: "events", routingKey: "order.*"))
        #expect(topology.resolve("amq.gen-1") == "amq.gen-1")
        topology.renamed("amq.gen-1", to: "amq.gen-2")
        #expect(topology.resolve("amq.gen-1") == "amq.gen-2")
        // The declaration to replay still asks for a server-chosen name.
        #expect(topology.queues.map(\.declare.queue) == [""])
        #expect(topology.queueBindings.map(\.queue) == ["amq.gen-1"])
        // Named queues are not renamed.
        topology.declared(QueueDeclare(queue: "orders", durable: true), name: "orders")
        topology.renamed("orders", to: "other")
        #expect(topology.resolve("orders") == "orders")
    }

    @Test func passiveDeclarationsAreNotRecordedAndRedeclarationsReplace() {
        var topology = Topology()
        topology.declared(ExchangeDeclare(exchange: "events", type: "topic", passive: true))
        topology.declared(QueueDeclare(queue: "orders", passive: true), name: "orders")
        #expect(topology.exchanges.isEmpty && topology.queues.isEmpty)
        topology.declared(ExchangeDeclare(exchange: "events", type: "topic"))
        topology.declared(ExchangeDeclare(exchange: "events", type: "fanout"))
        #expect(topology.exchanges.map(\.type) == ["fanout"])
    }

    @Test func deletesAndUnbindsForgetWhatDependsOnThem() {
        var topology = Topology()
        topology.declared(ExchangeDeclare(exchange: "a"))
        topology.declared(ExchangeDeclare(exchange: "b"))
        topology.declared(QueueDeclare(queue: "q"), name: "q")
        topology.bound(QueueBind(queue: "q", exchange: "a", routingKey: "k"))
        topology.bound(QueueBind(queue: "q", exchange: "a", routingKey: "k"))
        topology.bound(QueueBind(queue: "q", exchange: "b", routingKey: "k"))
        topology.bound(ExchangeBind(destination: "b", source: "a", routingKey: "x"))
        #expect(topology.queueBindings.count == 2)
        topology.unbound(QueueUnbind(queue: "q", exchange: "b", routingKey: "k"))
        #expect(topology.queueBindings.map(\.exchange) == ["a"])
        topology.deletedExchange("a")
        #expect(topology.exchanges.map(\.exchange) == ["b"])
        #expect(topology.queueBindings.isEmpty && topology.exchangeBindings.isEmpty)
        topology.deletedQueue("q")
        #expect(topology.queues.isEmpty)
    }

    @Test func aConsumersPartIsItsQueueWithItsBindingsAndTheirExchanges() {
        var topology = Topology()
        topology.declared(ExchangeDeclare(exchange: "orders", type: "direct"))
        topology.declared(ExchangeDeclare(exchange: "other", type: "fanout"))
        topology.declared(QueueDeclare(queue: "q", durable: true), name: "q")
        topology.declared(QueueDeclare(queue: "r"), name: "r")
        topology.bound(QueueBind(queue: "q", exchange: "orders", routingKey: "k"))
        topology.bound(QueueBind(queue: "r", exchange: "other"))
        let part = topology.consumerPart(queue: "q")
        #expect(part.queues.map(\.known) == ["q"])
        #expect(part.queueBindings.map(\.exchange) == ["orders"])
        #expect(part.exchanges.map(\.exchange) == ["orders"])
        // A queue the client did not declare has no part: it is not created on a guess.
        #expect(topology.consumerPart(queue: "unknown").isEmpty)
    }

    @Test func aRoutePartFollowsBindingsFromTheExchange() {
        var topology = Topology()
        for name in ["a", "b", "c"] { topology.declared(ExchangeDeclare(exchange: name)) }
        for name in ["qa", "qb", "qc"] { topology.declared(QueueDeclare(queue: name), name: name) }
        topology.bound(QueueBind(queue: "qa", exchange: "a", routingKey: "k"))
        topology.bound(ExchangeBind(destination: "b", source: "a", routingKey: "k"))
        topology.bound(QueueBind(queue: "qb", exchange: "b", routingKey: "k"))
        topology.bound(QueueBind(queue: "qc", exchange: "c", routingKey: "k"))
        let part = topology.routePart(exchange: "a", routingKey: "k")
        #expect(Set(part.exchanges.map(\.exchange)) == ["a", "b"])
        #expect(Set(part.queues.map(\.known)) == ["qa", "qb"])
        #expect(part.exchangeBindings.count == 1 && part.queueBindings.count == 2)
    }

    @Test func theDefaultExchangesRouteIsTheQueueNamedByTheRoutingKeyEvenAfterARename() {
        var topology = Topology()
        topology.declared(QueueDeclare(queue: "", exclusive: true), name: "amq.gen-1")
        topology.renamed("amq.gen-1", to: "amq.gen-2")
        #expect(topology.routePart(exchange: "", routingKey: "amq.gen-2").queues.map(\.known) == ["amq.gen-1"])
        #expect(topology.routePart(exchange: "", routingKey: "nothing").isEmpty)
    }
}
