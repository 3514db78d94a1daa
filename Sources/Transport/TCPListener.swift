import Glibc

/// A listening TCP socket whose accepted connections are spread over an `EventLoopGroup`.
public final class TCPListener: Sendable {
    let socket: Socket
    let group: EventLoopGroup
    /// The bound address; its port is the one the kernel chose when binding to port 0.
    public let localAddress: SocketAddress

    /// The bound port.
    public var port: Int { localAddress.port }

    private init(socket: Socket, group: EventLoopGroup, localAddress: SocketAddress) {
        self.socket = socket
        self.group = group
        self.localAddress = localAddress
    }

    /// Binds to the first address `host` resolves to and listens, with SO_REUSEADDR set.
    ///
    /// - Parameters:
    ///   - host: an address literal or name, e.g. `"0.0.0.0"`, `"::"`, `"127.0.0.1"`.
    ///   - port: the port, or 0 for one the kernel picks (see `port`).
    ///   - backlog: length of the queue of connections not yet accepted.
    ///   - group: the loops that watch the listener and the connections it accepts.
    public static func bind(
        host: String, port: Int, backlog: Int32 = 1024, on group: EventLoopGroup = .shared
    ) async throws -> TCPListener {
        guard let address = try await SocketAddress.resolve(host: host, port: port, on: group).first else {
            throw TransportError.unresolvable(host: host, code: EAI_NONAME)
        }
        let name = address.description
        let fd = try openStreamSocket(family: address.family, operation: "bind", address: name)
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if address.withSockaddr({ Glibc.bind(fd, $0, $1) }) != 0 || Glibc.listen(fd, backlog) != 0 {
            let code = errno
            Glibc.close(fd)
            throw TransportError.system(operation: "bind", address: name, errno: code)
        }
        let socket = try Socket(fd: fd, loop: group.next(), operation: "bind", address: name)
        return TCPListener(socket: socket, group: group, localAddress: socket.localAddress ?? address)
    }

    /// Waits for the next incoming connection.
    ///
    /// - Throws: `TransportError.closed` once the listener is closed (also while waiting),
    ///   `.timedOut`, `.system` (e.g. EMFILE when out of descriptors), `CancellationError`.
    public func accept(timeout: Duration? = nil) async throws -> TCPConnection {
        var deadline: UInt64?
        while true {
            var peer = SocketAddress(storage: sockaddr_storage(), length: socklen_t(MemoryLayout<sockaddr_storage>.size))
            var failure: Int32 = 0
            let accept4 = socket.readiness.loop.calls.accept4
            let fd = try socket.withDescriptor(operation: "accept") { listening in
                let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                let result = withUnsafeMutableBytes(of: &peer.storage) { raw in
                    retryingEINTR { accept4(listening, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &peer.length, flags) }
                }
                if result < 0 { failure = errno }
                return result
            }
            if fd >= 0 {
                let socket = try Socket(fd: fd, loop: group.next(), operation: "accept", address: peer.description)
                return TCPConnection(socket: socket, remoteAddress: peer)
            }
            switch failure {
            case EAGAIN, EWOULDBLOCK:
                if deadline == nil, let timeout { deadline = Transport.deadline(after: timeout) }
                try await socket.readiness.wait(for: .read, deadline: deadline, operation: "accept", address: localAddress.description)
            case ECONNABORTED, EPROTO:
                // The peer gave up before we got to it; take the next one.
                continue
            default:
                throw TransportError.system(operation: "accept", address: localAddress.description, errno: failure)
            }
        }
    }

    /// Stops listening. A pending and every later `accept` fails with `TransportError.closed`.
    public func close() {
        socket.close()
    }
}
