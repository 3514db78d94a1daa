import Glibc

/// A failed socket operation.
///
/// Each case names the operation that failed (`"connect"`, `"read"`, `"write"`, `"accept"`,
/// `"bind"`, ...) and, where one is involved, the address as `host:port`. Cases carrying
/// `errno` describe it with `strerror`. Task cancellation is reported as `CancellationError`.
public enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing listens at `address` (ECONNREFUSED).
    case connectionRefused(address: String)
    /// `operation` did not complete before its timeout.
    case timedOut(operation: String, address: String?)
    /// The peer reset the connection or it is closed for writing (ECONNRESET, EPIPE, ...).
    case connectionReset(operation: String, address: String?, errno: Int32)
    /// The connection or listener was closed locally, before or during `operation`.
    case closed(operation: String)
    /// `host` could not be resolved; `code` is the `getaddrinfo` result (`EAI_*`).
    case unresolvable(host: String, code: Int32)
    /// Any other failed system call.
    case system(operation: String, address: String?, errno: Int32)

    /// One line saying what failed, where, and the system's description of the errno.
    public var description: String {
        switch self {
        case .connectionRefused(let address):
            return "connect to \(address) refused: \(Self.describe(ECONNREFUSED))"
        case .timedOut(let operation, let address):
            return "\(operation)\(Self.on(address)) timed out"
        case .connectionReset(let operation, let address, let code):
            return "\(operation)\(Self.on(address)): connection closed by peer: \(Self.describe(code))"
        case .closed(let operation):
            return "\(operation): closed locally"
        case .unresolvable(let host, let code):
            return "cannot resolve \(host): \(String(cString: gai_strerror(code)))"
        case .system(let operation, let address, let code):
            return "\(operation)\(Self.on(address)) failed: \(Self.describe(code)) (errno \(code))"
        }
    }

    private static func on(_ address: String?) -> String { address.map { " \($0)" } ?? "" }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Maps an errno from `operation` to the most specific case.
    static func from(errno code: Int32, operation: String, address: String?) -> TransportError {
        switch code {
        case ECONNREFUSED: return .connectionRefused(address: address ?? "?")
        case ECONNRESET, EPIPE, ECONNABORTED, ENOTCONN: return .connectionReset(operation: operation, address: address, errno: code)
        case ETIMEDOUT: return .timedOut(operation: operation, address: address)
        default: return .system(operation: operation, address: address, errno: code)
        }
    }
}
