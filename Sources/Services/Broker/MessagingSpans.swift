import Tracing

/// The spans of the messaging semantic conventions for RabbitMQ, for messages that carry a
/// batch of orders.
///
/// - A **publish** span (kind producer, `publish {exchange}:{routing key}`) per message, linked
///   to the span of each order the message carries (attribute `order.id` on the link); its
///   context is the message's creation context (`traceparent` header). It covers the publish and
///   the wait for the broker's confirm.
/// - A **process** span (kind consumer, `process {exchange}:{routing key}:{queue}`) per order
///   of a delivered message, the child of that order's context in the message, so the order's
///   trace goes on through every service; it links to the message's creation context. (The
///   conventions model a batch with links only; continuing each order's trace is their opt-in
///   "creation context as parent", applied per order, each order being one logical message.)
struct MessagingSpans {
    let tracer: Tracer

    /// The publish span of a message to `exchange` with `routingKey` carrying the orders of
    /// `orders` (`ids` their order ids), under the batch's parent, and the trace the message
    /// carries: the span's context and each order's. No span and no trace when no order has a
    /// context (tracing off).
    func publish(_ orders: BatchTrace, ids: @autoclosure () -> [String], exchange: String, routingKey: String, messageID: String, bodySize: Int,
                 broker: BrokerAddress?) -> (span: Span?, trace: MessageTrace) {
        guard orders.isTraced else { return (nil, .none) }
        let ids = ids()
        let destination = "\(exchange):\(routingKey)"
        let span = tracer.startSpan("publish \(destination)", kind: .producer, parent: orders.parent?.context)
        if span.isRecording {
            Self.setDestination(span, operation: "publish", type: "send", destination: destination, routingKey: routingKey, broker: broker)
            span.setAttribute("messaging.message.id", .string(messageID))
            span.setAttribute("messaging.message.body.size", .int(Int64(bodySize)))
            if ids.count > 1 { span.setAttribute("messaging.batch.message_count", .int(Int64(ids.count))) }
            for (item, id) in zip(orders.items, ids) {
                guard let context = item?.context, context.isValid else { continue }
                var attributes = Attributes()
                attributes["order.id"] = .string(id)
                span.addLink(SpanLink(context, attributes: attributes))
            }
        }
        return (span, MessageTrace(message: span.context, documents: orders.contexts))
    }

    /// Ends a publish span with the broker's verdict: an error unless confirmed.
    static func end(_ span: Span, outcome: PublishOutcome) {
        if outcome != .confirmed {
            span.setAttribute("error.type", .string(Self.errorType(outcome)))
            span.setStatus(.error(description: outcome.description))
        }
        span.end()
    }

    /// Ends a publish span whose publish threw.
    static func end(_ span: Span, error: any Error) {
        span.setAttribute("error.type", .string(error is PublishNotSent ? "not_sent" : "_OTHER"))
        span.recordError(error)
        span.end()
    }

    /// The process spans of `message`'s orders (`orders`: the document each is in, and its id),
    /// each the child of its document's context in the message; nil each when tracing is off
    /// and the message carries no trace.
    func process(_ message: InboundMessage, orders: [(document: Int, id: String)]) -> [Span?] {
        guard !tracer.isDisabled || message.trace != .none else { return Array(repeating: nil, count: orders.count) }
        let destination = [message.exchange, message.routingKey, message.queue].filter { !$0.isEmpty }.joined(separator: ":")
        let links = message.trace.message.flatMap { $0.isValid ? [SpanLink($0)] : nil } ?? []
        return orders.map { order in
            let span = tracer.startSpan("process \(destination)", kind: .consumer, parent: message.trace.context(ofDocument: order.document), links: links)
            guard span.isRecording else { return span }
            Self.setDestination(span, operation: "process", type: "process", destination: destination, routingKey: message.routingKey, broker: message.broker)
            if let id = message.messageID { span.setAttribute("messaging.message.id", .string(id)) }
            if let tag = message.deliveryTag { span.setAttribute("messaging.rabbitmq.message.delivery_tag", .int(Int64(truncatingIfNeeded: tag))) }
            span.setAttribute("order.id", .string(order.id))
            if message.attempt > 1 { span.setAttribute("order.delivery_attempt", .int(Int64(message.attempt))) }
            return span
        }
    }

    /// Ends process spans with what became of their message: an error unless acknowledged.
    static func end(_ spans: [Span?], action: DeliveryAction) {
        for case let span? in spans {
            switch action {
            case .ack: break
            case .deadLetter(let reason, _): fail(span, "dead_letter", reason)
            case .retry(_, let reason): fail(span, "retry", reason)
            case .hold(let reason): fail(span, "hold", reason)
            }
            span.end()
        }
    }

    private static func fail(_ span: Span, _ type: String, _ reason: String) {
        span.setAttribute("error.type", .string(type))
        span.setStatus(.error(description: reason))
    }

    private static func setDestination(_ span: Span, operation: String, type: String, destination: String, routingKey: String, broker: BrokerAddress?) {
        span.setAttribute("messaging.system", "rabbitmq")
        span.setAttribute("messaging.operation.name", .string(operation))
        span.setAttribute("messaging.operation.type", .string(type))
        span.setAttribute("messaging.destination.name", .string(destination))
        if !routingKey.isEmpty { span.setAttribute("messaging.rabbitmq.destination.routing_key", .string(routingKey)) }
        if let broker {
            span.setAttribute("server.address", .string(broker.host))
            span.setAttribute("server.port", .int(Int64(broker.port)))
        }
    }

    private static func errorType(_ outcome: PublishOutcome) -> String {
        switch outcome {
        case .confirmed: ""
        case .nacked: "nack"
        case .returned: "returned"
        case .timedOut: "timeout"
        case .blocked: "blocked"
        }
    }
}
