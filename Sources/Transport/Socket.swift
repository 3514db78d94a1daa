import Glibc
import Synchronization

/// A non-blocking socket file descriptor registered with one event loop.
///
/// `close()` may race with a read or write running in another task. The descriptor is therefore
/// closed only once no syscall is using it: otherwise the number could be reused by a new socket
/// and a late `recv` would read someone else's data. `usage` holds bit 0 = closed, bit 1 =
/// released, and the number of syscalls in flight in steps of 4; whoever moves it from exactly
/// "closed, idle" to "closed, released" closes the descriptor. The fast path costs two
/// uncontended atomic adds.
final class Socket: Sendable {
    let fd: Int32
    let readiness: Readiness
    private let usage = Atomic<Int>(0)

    private static let closedBit = 1
    private static let releasedBit = 2
    private static let user = 4

    /// Takes ownership of `fd` and registers it with `loop`; closes `fd` if that fails.
    init(fd: Int32, loop: EventLoop, operation: String, address: String?) throws(TransportError) {
        self.fd = fd
        readiness = Readiness(loop: loop)
        let code = loop.register(fd: fd, readiness: readiness)
        if code != 0 {
            usage.store(Self.closedBit | Self.releasedBit, ordering: .relaxed)
            Glibc.close(fd)
            throw TransportError.system(operation: operation, address: address, errno: code)
        }
    }

    deinit { close() }

    /// Runs `body` with the descriptor, which stays open until `body` returns.
    @inline(__always)
    func withDescriptor<R>(operation: String, _ body: (Int32) throws(TransportError) -> R) throws(TransportError) -> R {
        let before = usage.wrappingAdd(Self.user, ordering: .acquiring).oldValue
        defer {
            if usage.wrappingSubtract(Self.user, ordering: .releasing).newValue == Self.closedBit { release() }
        }
        if before & Self.closedBit != 0 { throw TransportError.closed(operation: operation) }
        return try body(fd)
    }

    /// Fails pending waiters and closes the descriptor as soon as no syscall uses it.
    func close() {
        let before = usage.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).oldValue
        guard before & Self.closedBit == 0 else { return }
        readiness.close()
        release()
    }

    private func release() {
        guard usage.compareExchange(expected: Self.closedBit, desired: Self.closedBit | Self.releasedBit, ordering: .acquiringAndReleasing).exchanged else { return }
        readiness.loop.deregister(fd: fd, readiness: readiness)
        Glibc.close(fd)
    }

    // MARK: Options

    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The integer value of a socket option, or nil when `getsockopt` fails.
    func option(_ level: Int32, _ name: Int32) -> Int32? {
        try? withDescriptor(operation: "getsockopt") { fd in
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(fd, level, name, &value, &length) == 0 ? value : nil
        }
    }

    var localAddress: SocketAddress? {
        try? withDescriptor(operation: "getsockname") { fd in SocketAddress.fromKernel { getsockname(fd, $0, $1) } }
    }

    var remoteAddress: SocketAddress? {
        try? withDescriptor(operation: "getpeername") { fd in SocketAddress.fromKernel { getpeername(fd, $0, $1) } }
    }
}

/// Opens a non-blocking, close-on-exec stream socket.
func openStreamSocket(family: Int32, operation: String, address: String) throws(TransportError) -> Int32 {
    let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    let fd = Glibc.socket(family, type, 0)
    guard fd >= 0 else { throw TransportError.system(operation: operation, address: address, errno: errno) }
    return fd
}
