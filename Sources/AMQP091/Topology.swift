/// What a recovering client declared, in order, so it can declare it again on a new connection.
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
