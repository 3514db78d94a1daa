import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Tells whether something accepts TCP connections at an address.
///
/// Kept on plain sockets rather than the project's `Transport`, so that deciding whether server
/// tests run does not depend on the code those tests exercise.
public enum TCPProbe {
    /// Returns whether a TCP connection to `host:port` is accepted within `timeout`; the
    /// connection is closed at once.
    ///
    /// Name resolution and `poll` block, so the probe runs on a thread of its own instead of one
    /// of Swift's cooperative pool; it takes at most about `timeout` per resolved address. The
    /// default is generous: under the full parallel run a 1 s probe of a running server failed.
    public static func canConnect(host: String, port: Int, timeout: Duration = .seconds(5)) async -> Bool {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: connectsBlocking(host: host, port: port, timeout: timeout))
            }
            thread.start()
        }
    }

    private static func connectsBlocking(host: String, port: Int, timeout: Duration) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else { return false }
        defer { freeaddrinfo(first) }
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000
            + timeout.components.attoseconds / 1_000_000_000_000_000)
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            if connects(to: address.pointee, timeoutMilliseconds: milliseconds) { return true }
            candidate = address.pointee.ai_next
        }
        return false
    }

    private static func connects(to address: addrinfo, timeoutMilliseconds: Int32) -> Bool {
        let fd = socket(address.ai_family, address.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), address.ai_protocol)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if connect(fd, address.ai_addr, address.ai_addrlen) == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var pollDescriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&pollDescriptor, 1, timeoutMilliseconds) == 1 else { return false }
        var socketError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length) == 0 else { return false }
        return socketError == 0
    }
}
