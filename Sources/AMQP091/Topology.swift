/// What a recovering client declared, in order, so it can declare it again: all of it on a new
/// connection, the part a consumer needs after the server cancelled it, or the part a publish
/// routes through after it came back unroutable.
///
/// Pure bookkeeping. Server-named queues (declared with an empty name) get a new name on every
/// declaration; `names` maps the name the application first saw to the current one, and every
/// name the client passes to the broker goes through `resolve`.
struct Topology {
    private(set) var exchanges: [ExchangeDeclare] = []
    /// Queues by the name the application knows them by.
    private(set) var queues: [(known: String, declare: QueueDeclare)] = []
    private(set) var queueBindings: [QueueBind] = []
    private(set) var exchangeBindings: [ExchangeBind] = []
    /// Server-named queues: the first name the broker gave, to the current one.
    private var names: [String: String] = [:]

    /// The current broker name for a queue name the application holds.
    func resolve(_ queue: String) -> String { names[queue] ?? queue }

    var isEmpty: Bool { exchanges.isEmpty && queues.isEmpty && queueBindings.isEmpty && exchangeBindings.isEmpty }

    /// The part a consumer of `queue` (a name the application holds) needs: the queue, its
    /// bindings, and the exchanges those bind it to. Empty when the queue was not declared
    /// through the client.
    func consumerPart(queue: String) -> Topology {
        var part = Topology()
        part.names = names
        guard part.include(queue: queue, from: self) else { return part }
        for binding in queueBindings where binding.queue == queue {
            part.queueBindings.append(binding)
            if let exchange = exchanges.first(where: { $0.exchange == binding.exchange }), !part.exchanges.contains(exchange) {
                part.exchanges.append(exchange)
            }
        }
        return part
    }

    /// The part that routes a message published to `exchange` with `routingKey`: the exchange,
    /// the queues bound to it and those bindings, following exchange-to-exchange bindings from
    /// it; for the default exchange, the queue named `routingKey`.
    func routePart(exchange: String, routingKey: String) -> Topology {
        var part = Topology()
        part.names = names
        guard !exchange.isEmpty else {
            let known = queues.first { $0.known == routingKey || resolve($0.known) == routingKey }?.known ?? routingKey
            part.include(queue: known, from: self)
            return part
        }
        var pending = [exchange]
        var seen: Set<String> = []
        while let source = pending.popLast() {
            guard seen.insert(source).inserted else { continue }
            if let declare = exchanges.first(where: { $0.exchange == source }) { part.exchanges.append(declare) }
            for binding in queueBindings where binding.exchange == source {
                part.queueBindings.append(binding)
                part.include(queue: binding.queue, from: self)
            }
            for binding in exchangeBindings where binding.source == source {
                part.exchangeBindings.append(binding)
                pending.append(binding.destination)
            }
        }
        return part
    }

    /// Adds the declaration of `queue` from `whole`, once; false when `whole` has none.
    @discardableResult
    private mutating func include(queue: String, from whole: Topology) -> Bool {
        guard let entry = whole.queues.first(where: { $0.known == queue }) else { return false }
        if !queues.contains(where: { $0.known == queue }) { queues.append(entry) }
        return true
    }

    mutating func declared(_ exchange: ExchangeDeclare) {
        guard !exchange.passive else { return }
        exchanges.removeAll { $0.exchange == exchange.exchange }
        exchanges.append(exchange)
    }

    /// Records a queue declaration; `name` is what the broker answered.
    mutating func declared(_ queue: QueueDeclare, name: String) {
        guard !queue.passive else { return }
        var declare = queue
        let known = queue.queue.isEmpty ? name : queue.queue
        if queue.queue.isEmpty { names[name] = name } else { declare.queue = queue.queue }
        queues.removeAll { $0.known == known }
        queues.append((known, declare))
    }

    /// Records the name a server-named queue got on redeclaration.
    mutating func renamed(_ known: String, to name: String) {
        if names[known] != nil { names[known] = name }
    }

    mutating func deletedExchange(_ name: String) {
        exchanges.removeAll { $0.exchange == name }
        queueBindings.removeAll { $0.exchange == name }
        exchangeBindings.removeAll { $0.source == name || $0.destination == name }
    }

    mutating func deletedQueue(_ known: String) {
        queues.removeAll { $0.known == known }
        queueBindings.removeAll { $0.queue == known }
        names[known] = nil
    }

    mutating func bound(_ binding: QueueBind) {
        guard !queueBindings.contains(binding) else { return }
        queueBindings.append(binding)
    }

    mutating func unbound(_ binding: QueueUnbind) {
        queueBindings.removeAll {
            $0.queue == binding.queue && $0.exchange == binding.exchange && $0.routingKey == binding.routingKey && $0.arguments == binding.arguments
        }
    }

    mutating func bound(_ binding: ExchangeBind) {
        guard !exchangeBindings.contains(binding) else { return }
        exchangeBindings.append(binding)
    }

    mutating func unbound(_ binding: ExchangeUnbind) {
        exchangeBindings.removeAll {
            $0.destination == binding.destination && $0.source == binding.source && $0.routingKey == binding.routingKey
                && $0.arguments == binding.arguments
        }
    }
}
