import Bytes
import Glibc
import Synchronization

/// A TCP connection with non-blocking I/O driven by an `EventLoop`.
///
/// One task may read while another writes; two concurrent reads (or two concurrent writes) are a
/// programming error. Every wait honours task cancellation (`CancellationError`) and an optional
/// timeout (`TransportError.timedOut`). Reads and writes that can complete immediately do so in
/// the calling task without involving the loop. The connection closes when `close()` is called or
/// when the last reference to it goes away.
public final class TCPConnection: Sendable {
    let socket: Socket
    /// The peer, as connected to or accepted from.
    public let remoteAddress: SocketAddress
    /// The local end of the connection.
    public let localAddress: SocketAddress?

    /// The loop that watches this connection. Tasks preferring it as executor avoid a thread hop
    /// when a wait ends.
    public var eventLoop: EventLoop { socket.readiness.loop }

    /// Free space a read wants in the caller's buffer; large enough that a busy connection needs
    /// few syscalls, small enough that a buffer with room left is used rather than grown.
    static let minimumReadSpace = 16384

    /// Set after a read returned less than it asked for, which means the receive queue was empty
    /// then. The next read can wait for a readiness edge instead of first spending a syscall on
    /// EAGAIN: any data that arrived since produced an edge `Readiness` has remembered. A FIN or
    /// error already queued behind that data produces no further edge, so the hint is ignored
    /// once the peer hung up. Only a hint for the one reader, hence relaxed ordering.
    private let receiveQueueDrained = Atomic<Bool>(false)

    init(socket: Socket, remoteAddress: SocketAddress) {
        self.socket = socket
        self.remoteAddress = remoteAddress
        self.localAddress = socket.localAddress
        socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    /// Connects to `host:port`, trying each address `host` resolves to in turn.
    ///
    /// - Parameters:
    ///   - host: a DNS name or an IPv4/IPv6 literal (`"::1"` or `"[::1]"`).
    ///   - timeout: limit for the whole attempt, across all addresses; nil waits as long as the
    ///     kernel does.
    ///   - group: the loops to spread connections over.
    /// - Throws: `TransportError.connectionRefused`, `.timedOut`, `.unresolvable`, ... for the
    ///   last address tried; `CancellationError`. The timeout also bounds name resolution.
    public static func connect(
        host: String, port: Int, timeout: Duration? = nil, on group: EventLoopGroup = .shared
    ) async throws -> TCPConnection {
        let deadline = deadline(after: timeout)
        let addresses = try await SocketAddress.resolve(host: host, port: port, deadline: deadline, timer: group.next())
        return try await connect(toAny: addresses, deadline: deadline, group: group)
    }

    /// Tries `addresses` in order until one connects; throws the last failure.
    static func connect(toAny addresses: [SocketAddress], deadline: UInt64?, group: EventLoopGroup) async throws -> TCPConnection {
        var lastError: TransportError?
        for address in addresses {
            try Task.checkCancellation()
            do {
                return try await connect(to: address, deadline: deadline, loop: group.next())
            } catch let error as TransportError {
                lastError = error
                // The deadline covers all addresses, so nothing is left for the next one.
                if case .timedOut = error { break }
            }
        }
        throw lastError ?? TransportError.system(operation: "connect", address: nil, errno: EADDRNOTAVAIL)
    }

    /// Connects to one resolved address.
    public static func connect(
        to address: SocketAddress, timeout: Duration? = nil, on group: EventLoopGroup = .shared
    ) async throws -> TCPConnection {
        try await connect(to: address, deadline: deadline(after: timeout), loop: group.next())
    }

    private static func connect(to address: SocketAddress, deadline: UInt64?, loop: EventLoop) async throws -> TCPConnection {
        let name = address.description
        let fd = try openStreamSocket(family: address.family, operation: "connect", address: name)
        let result = address.withSockaddr { pointer, length in retryingEINTR { Glibc.connect(fd, pointer, length) } }
        let code = result == 0 ? 0 : errno
        guard code == 0 || code == EINPROGRESS else {
            Glibc.close(fd)
            throw TransportError.from(errno: code, operation: "connect", address: name)
        }
        // Registered only now: before connect() an idle TCP socket reports EPOLLHUP, which would
        // read as a completed connect.
        let socket = try Socket(fd: fd, loop: loop, operation: "connect", address: name)
        while code != 0 {
            try await socket.readiness.wait(for: .write, deadline: deadline, operation: "connect", address: name)
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if failure != 0 { throw TransportError.from(errno: failure, operation: "connect", address: name) }
            if socket.remoteAddress != nil { break }
        }
        return TCPConnection(socket: socket, remoteAddress: address)
    }

    /// Reads what is available, at most `maxBytes`, appending it to `buffer`; waits if nothing is.
    ///
    /// The bytes go straight into `buffer`'s free space when it has at least `min(maxBytes, 16
    /// KiB)`; call `discardReadBytes()` on long-lived buffers to reuse the space before their
    /// reader index. Otherwise they are received into scratch space of the thread and appended,
    /// so a buffer grows by what arrived, not by a full read's size, and waiting costs no space.
    ///
    /// - Returns: the number of bytes read, 0 once the peer has closed its side (orderly EOF).
    /// - Throws: `TransportError.connectionReset` if the peer reset the connection,
    ///   `.timedOut`, `.closed` (closed locally, including during the wait), `CancellationError`.
    ///   A cancelled or timed-out read consumes nothing; the connection stays usable.
    public func read(into buffer: inout ByteBuffer, maxBytes: Int = 65536, timeout: Duration? = nil) async throws -> Int {
        precondition(maxBytes > 0, "read(into:maxBytes:) needs maxBytes > 0")
        var deadline: UInt64?
        let drained = receiveQueueDrained.exchange(false, ordering: .relaxed)
        var failure: Int32 = drained && !socket.readiness.peerHungUp ? EAGAIN : 0
        while true {
            if failure == 0 {
                var requested = 0
                let count = try socket.withDescriptor(operation: "read") { fd in
                    if buffer.writableBytes >= min(maxBytes, Self.minimumReadSpace) {
                        return buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
                            requested = min(space.count, maxBytes)
                            return Self.receive(fd, into: space, requested, failure: &failure)
                        }
                    }
                    return ReadScratch.withSpace { space in
                        requested = min(space.count, maxBytes)
                        let count = Self.receive(fd, into: space, requested, failure: &failure)
                        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: space[..<count]))
                        return count
                    }
                }
                if failure == 0 {
                    if count > 0 && count < requested { receiveQueueDrained.store(true, ordering: .relaxed) }
                    return count
                }
                guard failure == EAGAIN || failure == EWOULDBLOCK else {
                    throw TransportError.from(errno: failure, operation: "read", address: remoteAddress.description)
                }
            }
            // The clock is read only when a wait is needed, keeping it off the fast path.
            if deadline == nil, let timeout { deadline = Transport.deadline(after: timeout) }
            try await socket.readiness.wait(for: .read, deadline: deadline, operation: "read", address: remoteAddress.description)
            failure = 0
        }
    }

    /// One `recv` of at most `count` bytes into `space`; the bytes received, 0 with `failure` set
    /// to `errno` when it failed.
    private static func receive(_ fd: Int32, into space: UnsafeMutableRawBufferPointer, _ count: Int, failure: inout Int32) -> Int {
        let result = retryingEINTR { Glibc.recv(fd, space.baseAddress, count, 0) }
        if result < 0 { failure = errno }
        return max(result, 0)
    }

    /// Reads what is available, at most `maxBytes`, waiting if nothing is.
    ///
    /// Allocates a new buffer per call; loops that read continuously should use
    /// `read(into:maxBytes:timeout:)` with a buffer they keep.
    ///
    /// - Returns: the bytes read, or nil once the peer has closed its side (orderly EOF).
    public func read(maxBytes: Int = 65536, timeout: Duration? = nil) async throws -> ByteBuffer? {
        var buffer = ByteBuffer(capacity: 0)
        let count = try await read(into: &buffer, maxBytes: maxBytes, timeout: timeout)
        return count == 0 ? nil : buffer
    }

    /// Writes all readable bytes of `buffer`, waiting for the socket to drain as needed.
    ///
    /// - Throws: `TransportError.connectionReset` if the peer is gone (never SIGPIPE), `.timedOut`
    ///   if everything was not written in time, `.closed`, `CancellationError`. After a failed
    ///   write an unknown prefix of `buffer` may have been sent.
    public func write(_ buffer: ByteBuffer, timeout: Duration? = nil) async throws {
        var remaining = buffer
        var deadline: UInt64?
        while try !writeNow(&remaining) {
            if deadline == nil, let timeout { deadline = Transport.deadline(after: timeout) }
            try await socket.readiness.wait(for: .write, deadline: deadline, operation: "write", address: remoteAddress.description)
        }
    }

    /// Writes as much of `buffer`'s readable bytes as the socket takes now, without waiting,
    /// and moves its reader index past them. Returns true when all were written; otherwise the
    /// socket's send buffer is full and the rest is for `write`. A caller that writes this way
    /// must not overlap another write.
    ///
    /// - Throws: as `write`, except `.timedOut` and `CancellationError`.
    public func writeNow(_ buffer: inout ByteBuffer) throws -> Bool {
        while buffer.readableBytes > 0 {
            var failure: Int32 = 0
            let sent = try socket.withDescriptor(operation: "write") { fd in
                buffer.withUnsafeReadableBytes { bytes in
                    let result = retryingEINTR { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
                    if result < 0 { failure = errno }
                    return max(result, 0)
                }
            }
            let full = sent > 0 && sent < buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: sent)
            // A partial send means the send buffer is full: stop rather than spend a syscall on EAGAIN.
            if failure == 0 && !full { continue }
            guard failure == 0 || failure == EAGAIN || failure == EWOULDBLOCK else {
                throw TransportError.from(errno: failure, operation: "write", address: remoteAddress.description)
            }
            return false
        }
        return true
    }

    /// Calls `handler` once, on the connection's event loop thread, when the peer closes its
    /// sending side (FIN), resets the connection or the socket fails, unless it is replaced or
    /// removed (`nil`) first. This is how a server notices, without reading, that a client went
    /// away while its request is handled. One handler at a time; it must not block.
    ///
    /// - Returns: false, installing nothing, when the peer has already hung up or the connection
    ///   is closed.
    @discardableResult
    public func onPeerHangUp(_ handler: (@Sendable () -> Void)?) -> Bool {
        socket.readiness.onPeerHangUp(handler)
    }

    /// Closes the connection. Pending and later reads and writes fail with
    /// `TransportError.closed`. Calling it again does nothing.
    public func close() {
        socket.close()
    }
}
