import Synchronization

/// A fixed set of event loops, each on its own thread; new sockets are assigned round-robin.
///
/// Loops run for the life of the process, so groups are meant to be few and long-lived:
/// usually just `shared`.
public final class EventLoopGroup: Sendable {
    /// The loops, one thread each.
    public let loops: [EventLoop]
    private let counter = Atomic<Int>(0)

    /// Starts `threads` loops (default: one per available core).
    public init(threads: Int = SystemLimits.availableCores) {
        precondition(threads > 0, "EventLoopGroup needs at least one thread")
        loops = (0..<threads).map { _ in EventLoop() }
    }

    /// The group used when none is given: one loop per available core.
    public static let shared = EventLoopGroup()

    /// The next loop in round-robin order.
    public func next() -> EventLoop {
        loops[counter.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }
}
