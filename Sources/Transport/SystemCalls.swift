import Glibc

/// Linux calls that `import Glibc` does not expose (sys/epoll.h, sys/eventfd.h and the
/// `_GNU_SOURCE`-only `accept4`), looked up in the already-loaded C library with `dlsym`.
/// Looking them up at run time keeps the package free of C targets. An `EventLoop` holds the
/// table it was created with, so a missing symbol fails loop creation with a typed error instead
/// of a later call.
struct LinuxCalls: Sendable {
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EpollPwait2 = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, UnsafePointer<timespec>?, UnsafeRawPointer?) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    var epollCreate1: EpollCreate1
    var epollCtl: EpollCtl
    var epollWait: EpollWait
    /// `epoll_wait` with a nanosecond timeout (glibc 2.35, Linux 5.11); nil in an older C library,
    /// and a loop falls back to `epoll_wait` (whole milliseconds) when the kernel lacks it.
    var epollPwait2: EpollPwait2?
    var eventfd: EventFD
    var accept4: Accept4

    /// The C library's calls, looked up once; a missing one is a `.system` error naming it.
    static let system: Result<LinuxCalls, TransportError> = {
        do throws(TransportError) {
            return .success(LinuxCalls(
                epollCreate1: try symbol("epoll_create1"),
                epollCtl: try symbol("epoll_ctl"),
                epollWait: try symbol("epoll_wait"),
                epollPwait2: try? symbol("epoll_pwait2"),
                eventfd: try symbol("eventfd"),
                accept4: try symbol("accept4")
            ))
        } catch {
            return .failure(error)
        }
    }()

    /// The address of C function `name` in the process, as function type `F`.
    /// - Throws: `TransportError.system` with operation `dlsym <name>` and errno `ENOSYS`.
    static func symbol<F>(_ name: String) throws(TransportError) -> F {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else {
            throw .system(operation: "dlsym \(name)", address: nil, errno: ENOSYS)
        }
        return unsafeBitCast(address, to: F.self)
    }
}

/// Constants and the `struct epoll_event` layout from the Linux headers.
enum Epoll {
    static let `in`: UInt32 = 0x001
    static let out: UInt32 = 0x004
    static let err: UInt32 = 0x008
    static let hup: UInt32 = 0x010
    static let rdhup: UInt32 = 0x2000
    static let edgeTriggered: UInt32 = 1 << 31

    static let ctlAdd: Int32 = 1
    static let ctlDel: Int32 = 2
    static let cloexec: Int32 = 0o2000000

    // `struct epoll_event` is declared packed on x86_64 only, so `data` follows `events` directly
    // there; elsewhere the 64-bit `data` is naturally aligned.
    #if arch(x86_64)
    static let eventSize = 12
    static let dataOffset = 4
    #else
    static let eventSize = 16
    static let dataOffset = 8
    #endif

    /// Writes one `epoll_event` into `raw` (which must hold `eventSize` bytes).
    static func store(events: UInt32, data: UInt64, into raw: UnsafeMutableRawPointer) {
        raw.storeBytes(of: events, as: UInt32.self)
        (raw + dataOffset).storeBytes(of: data, as: UInt64.self)
    }

    static func load(from raw: UnsafeRawPointer) -> (events: UInt32, data: UInt64) {
        (raw.loadUnaligned(as: UInt32.self), (raw + dataOffset).loadUnaligned(as: UInt64.self))
    }
}

enum EventFDFlags {
    static let nonblock: Int32 = 0o4000
    static let cloexec: Int32 = 0o2000000
}

/// Monotonic time in nanoseconds; timer deadlines are kept in this clock.
@inline(__always) func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds, clamped at zero.
    var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (total, carry) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return overflow || carry ? .max : total
    }
}

/// Absolute deadline in `monotonicNanoseconds()` for an optional timeout (nil = none).
func deadline(after timeout: Duration?) -> UInt64? {
    guard let timeout else { return nil }
    let (sum, overflow) = monotonicNanoseconds().addingReportingOverflow(timeout.clampedNanoseconds)
    return overflow ? .max : sum
}

/// Calls a syscall until it does not fail with EINTR.
@inline(__always) func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}
