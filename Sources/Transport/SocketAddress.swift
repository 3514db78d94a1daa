#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A resolved IPv4 or IPv6 socket address.
public struct SocketAddress: Sendable, CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// Address family: `AF_INET` or `AF_INET6`.
    public var family: Int32 { Int32(storage.ss_family) }

    /// The port number.
    public var port: Int {
        withSockaddr { pointer, _ in
            switch Int32(pointer.pointee.sa_family) {
            case AF_INET: return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6: return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default: return 0
            }
        }
    }

    /// The numeric host, e.g. `127.0.0.1` or `::1`.
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        withSockaddr { pointer, length in
            _ = getnameinfo(pointer, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `host:port`, with IPv6 hosts in brackets.
    public var description: String {
        family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { raw in
            try body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// Reads an address filled in by the kernel (`getsockname`, `getpeername`, `accept`).
    static func fromKernel(_ fill: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutableBytes(of: &storage) { raw in
            fill(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        return result == 0 ? SocketAddress(storage: storage, length: length) : nil
    }

    /// Resolves `host` (a name, an IPv4 literal, or an IPv6 literal with or without brackets)
    /// to the stream-socket addresses `getaddrinfo` returns, in its order of preference.
    ///
    /// Numeric hosts are converted in place. Names go through `getaddrinfo`, which may block on
    /// the network, so that call runs on a thread of its own rather than on the caller's; the
    /// caller stops waiting for it on timeout or cancellation.
    ///
    /// - Throws: `TransportError.unresolvable`, `.timedOut`, `.system` when the lookup thread
    ///   cannot be started, `CancellationError`.
    public static func resolve(host: String, port: Int, timeout: Duration? = nil, on group: EventLoopGroup = .shared) async throws -> [SocketAddress] {
        try await resolve(host: host, port: port, deadline: deadline(after: timeout), timer: group.next())
    }

    /// `resolve` with a monotonic `deadline` timed by `timer`'s loop.
    static func resolve(host: String, port: Int, deadline: UInt64?, timer loop: EventLoop) async throws -> [SocketAddress] {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        switch lookup(name, port: port, flags: AI_NUMERICHOST) {
        case .success(let addresses): return addresses
        case .failure(let error) where error.code != EAI_NONAME: throw TransportError.unresolvable(host: host, code: error.code)
        case .failure: break
        }
        let outcome = FirstOutcome<[SocketAddress]>()
        let timer = deadline.map { deadline in
            Scheduled(loop: loop, id: loop.schedule(at: deadline) {
                outcome.finish(.failure(TransportError.timedOut(operation: "resolve", address: host)))
            })
        }
        defer { timer?.cancel() }
        try startThread {
            outcome.finish(lookup(name, port: port, flags: AI_ADDRCONFIG).mapError { TransportError.unresolvable(host: host, code: $0.code) })
        }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            outcome.finish(.failure(CancellationError()))
        }
    }

    struct ResolutionFailure: Error { var code: Int32 }

    private static func lookup(_ name: String, port: Int, flags: Int32) -> Result<[SocketAddress], ResolutionFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_flags = flags
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(name, String(port), &hints, &list)
        guard code == 0 else { return .failure(ResolutionFailure(code: code)) }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let info = entry {
            if let address = info.pointee.ai_addr, info.pointee.ai_family == AF_INET || info.pointee.ai_family == AF_INET6 {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { raw in
                    raw.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(info.pointee.ai_addrlen)))
                }
                addresses.append(SocketAddress(storage: storage, length: info.pointee.ai_addrlen))
            }
            entry = info.pointee.ai_next
        }
        return addresses.isEmpty ? .failure(ResolutionFailure(code: EAI_NONAME)) : .success(addresses)
    }
}
