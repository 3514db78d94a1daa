import Synchronization

/// A fixed set of event loops, each on its own thread; new sockets are assigned round-robin.
///
/// Loops run for the life of the process, so groups are meant to be few and long-lived:
/// usually just `shared`.
public final class EventLoopGroup: Sendable {
    /// The loops, one thread each.
    public let loops: [EventLoop]
    private let counter = Atomic<Int>(0)

    private init(loops: [EventLoop]) {
        self.loops = loops
    }

    /// Starts `threads` loops (default: one per available core).
    ///
    /// Stops the process when a loop cannot be created (no descriptors or threads left, or a C
    /// library without epoll); `start(threads:)` reports that as an error instead.
    public convenience init(threads: Int = SystemLimits.availableCores) {
        let loops: [EventLoop]
        do {
            loops = try Self.startLoops(threads, calls: LinuxCalls.system.get())
        } catch {
            preconditionFailure("Transport: cannot start event loops: \(error)")
        }
        self.init(loops: loops)
    }

    /// Starts `threads` loops (default: one per available core), or reports why it cannot.
    ///
    /// - Throws: `TransportError.system` naming what failed: `dlsym <name>` (errno `ENOSYS`) when
    ///   the C library lacks an epoll call, `epoll_create1` or `eventfd` (e.g. `EMFILE` when out
    ///   of descriptors), `epoll_ctl`, or `pthread_create`. Loops started before the failure
    ///   are stopped again.
    public static func start(threads: Int = SystemLimits.availableCores) throws(TransportError) -> EventLoopGroup {
        EventLoopGroup(loops: try startLoops(threads, calls: LinuxCalls.system.get()))
    }

    /// The group used when none is given: one loop per available core, started on first use.
    /// Creating it stops the process if the loops cannot be started (see `init(threads:)`);
    /// programs that must handle that create their group with `start(threads:)` and pass it on.
    public static let shared = EventLoopGroup()

    /// The next loop in round-robin order.
    public func next() -> EventLoop {
        loops[counter.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// The calling thread's loop when it is one of this group's, otherwise the next loop: where
    /// work started from a loop's task (a timer, a short sleep) stays on that loop's thread.
    public func currentOrNext() -> EventLoop {
        loops.first { $0.isCurrent } ?? next()
    }

    /// Starts `threads` loops on `calls`, all or none.
    static func startLoops(_ threads: Int, calls: LinuxCalls) throws(TransportError) -> [EventLoop] {
        precondition(threads > 0, "EventLoopGroup needs at least one thread")
        var loops: [EventLoop] = []
        do {
            for _ in 0..<threads { loops.append(try EventLoop(calls: calls)) }
        } catch {
            for loop in loops { loop.stop() }
            throw error
        }
        return loops
    }
}
