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
}
