/// The arguments of one AMQP method, e.g. `QueueDeclare`; generated from the spec.
///
/// Lets generic code (an RPC that sends `QueueDeclare` and expects `QueueDeclareOk`) name a
/// method by its type.
public protocol AMQPMethodPayload: Sendable, Hashable {
    static var classID: UInt16 { get }
    static var methodID: UInt16 { get }
    /// Whether the peer answers with a matching `-ok` method.
    static var isSynchronous: Bool { get }
    /// Whether a content header and body frames follow the method.
    static var hasContent: Bool { get }

    /// This payload wrapped as an `AMQPMethod`.
    var method: AMQPMethod { get }

    /// The payload of `method`, or nil when `method` is a different method.
    init?(_ method: AMQPMethod)
}

/// A synchronous method with exactly one possible reply, e.g. `QueueDeclare`, answered by
/// `QueueDeclareOk`; generated from the spec. `AMQPChannel.call` returns the `Reply` typed.
/// (`basic.get`, answered by get-ok or get-empty, is not one: use `AMQPChannel.get`.)
public protocol AMQPSynchronousMethod: AMQPMethodPayload {
    /// The method the peer answers with.
    associatedtype Reply: AMQPMethodPayload
}
