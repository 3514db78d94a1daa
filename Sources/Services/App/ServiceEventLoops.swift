import Synchronization

import Transport

/// The event loops serving the services' sockets in this process: one group per thread count,
/// started on first use and kept for the life of the process, so starting a pipeline again in the
/// same process (as the tests do) reuses the threads rather than leaving idle ones behind.
enum ServiceEventLoops {
    private static let groups = Mutex<[Int: EventLoopGroup]>([:])

    /// The group of `threads` loops.
    /// - Throws: `TransportError` when the loops cannot be started (out of descriptors, say).
    static func group(threads: Int) throws(TransportError) -> EventLoopGroup {
        try groups.withLock { (groups) throws(TransportError) -> EventLoopGroup in
            if let group = groups[threads] { return group }
            let group = try EventLoopGroup.start(threads: threads)
            groups[threads] = group
            return group
        }
    }
}
