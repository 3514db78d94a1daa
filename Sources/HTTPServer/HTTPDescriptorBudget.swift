#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// How many connections a server may hold within the process's descriptor limit.
enum HTTPDescriptorBudget {
    /// The limit when the system reports none (or an infinite one): the connection limit of
    /// servers before it was derived.
    static let fallbackConnectionLimit = 10_000

    /// `RLIMIT_NOFILE` as `getrlimit` and `setrlimit` take it.
    #if canImport(Glibc)
    static let openFileResource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    static let openFileResource = RLIMIT_NOFILE
    #endif

    /// The soft limit on open descriptors (`RLIMIT_NOFILE`), or nil when unknown or infinite.
    static var openFileLimit: Int? {
        var limit = rlimit()
        // RLIM_INFINITY is all ones on Linux, which Swift does not import as a constant.
        #if canImport(Darwin)
        let infinite = RLIM_INFINITY
        #else
        let infinite = rlim_t.max
        #endif
        guard getrlimit(openFileResource, &limit) == 0, limit.rlim_cur != infinite else { return nil }
        return Int(clamping: limit.rlim_cur)
    }

    /// Connections to serve under a descriptor limit of `descriptorLimit`: all but
    /// `max(256, limit / 16)`, which stay for the rest of the process (its Redis and broker
    /// connections, files, the listener, the spare descriptor and the answers to connections
    /// over the limit), and at least half of the limit.
    static func connectionLimit(descriptorLimit: Int?) -> Int {
        guard let limit = descriptorLimit else { return fallbackConnectionLimit }
        return max(limit - max(256, limit / 16), limit / 2, 1)
    }
}

/// One descriptor held in reserve (the "reserve fd" of libev and Node): when accepting fails
/// because the process is out of descriptors, releasing it lets the server accept the waiting
/// connections one at a time, answer and close them, instead of leaving them in the backlog
/// while it cannot even refuse them.
///
/// The lock guards the descriptor number between the accept loop and `close`.
final class HTTPSpareDescriptor: Sendable {
    private let descriptor = Mutex<Int32>(-1)

    init() {
        reserve()
    }

    deinit {
        discard()
    }

    /// Opens the spare unless it is held; false when that fails (out of descriptors still).
    @discardableResult
    func reserve() -> Bool {
        descriptor.withLock { fd in
            if fd < 0 { fd = open("/dev/null", O_RDONLY | O_CLOEXEC) }
            return fd >= 0
        }
    }

    /// Closes the spare, freeing one descriptor; false when none was held.
    func release() -> Bool {
        descriptor.withLock { fd in
            guard fd >= 0 else { return false }
            _ = close(fd)
            fd = -1
            return true
        }
    }

    /// Closes the spare for good (until `reserve`).
    func discard() {
        _ = release()
    }
}
