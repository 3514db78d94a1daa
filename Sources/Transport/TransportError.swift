#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed socket operation, or a deadline that passed.
///
/// A struct with a `code` rather than an enum, so that new kinds of failure can be added without
/// breaking code that switches over them. Each error names the `operation` that failed
/// (`"connect"`, `"read"`, `"write"`, `"accept"`, `"bind"`, ...) and, where one is involved, the
/// `address` as `host:port`. Task cancellation is reported as `CancellationError`.
///
/// ```swift
/// do { ... } catch TransportError.Code.timedOut { ... }
/// // or: catch let error as TransportError where error.code == .connectionReset
/// ```
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionRefused, timedOut, connectionReset, closed, unresolvable, system
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Nothing listens at the address (ECONNREFUSED).
        public static let connectionRefused = Code(.connectionRefused)
        /// The operation did not complete before its timeout or deadline.
        public static let timedOut = Code(.timedOut)
        /// The peer reset the connection or it is closed for writing (ECONNRESET, EPIPE, ...).
        public static let connectionReset = Code(.connectionReset)
        /// The connection or listener was closed locally, before or during the operation.
        public static let closed = Code(.closed)
        /// The host name could not be resolved; `errno` holds the `getaddrinfo` result (`EAI_*`).
        public static let unresolvable = Code(.unresolvable)
        /// Any other failed system call.
        public static let system = Code(.system)

        public var description: String { base.rawValue }

        /// Lets a `catch` clause match on a code: `catch TransportError.Code.timedOut`.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? TransportError)?.code == code
        }
    }

    /// What kind of failure.
    public let code: Code
    /// The operation that failed (`"connect"`, `"read"`, ..., `"resolve"` for a name lookup).
    public let operation: String
    /// `host:port` where a socket address is involved; the host name for `unresolvable`.
    public let address: String?
    /// The system's error number; for `unresolvable`, the `getaddrinfo` code.
    public let errno: Int32?

    private init(_ code: Code, operation: String, address: String?, errno: Int32?) {
        self.code = code
        self.operation = operation
        self.address = address
        self.errno = errno
    }

    /// Nothing listens at `address` (ECONNREFUSED).
    public static func connectionRefused(address: String) -> TransportError {
        TransportError(.connectionRefused, operation: "connect", address: address, errno: ECONNREFUSED)
    }

    /// `operation` did not complete before its timeout.
    public static func timedOut(operation: String, address: String?) -> TransportError {
        TransportError(.timedOut, operation: operation, address: address, errno: nil)
    }

    /// The peer reset the connection or it is closed for writing.
    public static func connectionReset(operation: String, address: String?, errno: Int32) -> TransportError {
        TransportError(.connectionReset, operation: operation, address: address, errno: errno)
    }

    /// The connection or listener was closed locally, before or during `operation`.
    public static func closed(operation: String) -> TransportError {
        TransportError(.closed, operation: operation, address: nil, errno: nil)
    }

    /// `host` could not be resolved; `code` is the `getaddrinfo` result (`EAI_*`).
    public static func unresolvable(host: String, code: Int32) -> TransportError {
        TransportError(.unresolvable, operation: "resolve", address: host, errno: code)
    }

    /// Any other failed system call.
    public static func system(operation: String, address: String?, errno: Int32) -> TransportError {
        TransportError(.system, operation: operation, address: address, errno: errno)
    }

    /// One line saying what failed, where, and the system's description of the errno.
    public var description: String {
        let at = address.map { " \($0)" } ?? ""
        switch code {
        case .connectionRefused:
            return "connect to \(address ?? "?") refused: \(Self.describe(ECONNREFUSED))"
        case .timedOut:
            return "\(operation)\(at) timed out"
        case .connectionReset:
            return "\(operation)\(at): connection closed by peer: \(Self.describe(errno ?? 0))"
        case .closed:
            return "\(operation): closed locally"
        case .unresolvable:
            return "cannot resolve \(address ?? "?"): \(String(cString: gai_strerror(errno ?? EAI_NONAME)))"
        default:
            let code = errno ?? 0
            return "\(operation)\(at) failed: \(Self.describe(code)) (errno \(code))"
        }
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Maps an errno from `operation` to the most specific code.
    static func from(errno code: Int32, operation: String, address: String?) -> TransportError {
        switch code {
        case ECONNREFUSED: .connectionRefused(address: address ?? "?")
        case ECONNRESET, EPIPE, ECONNABORTED, ENOTCONN: .connectionReset(operation: operation, address: address, errno: code)
        case ETIMEDOUT: .timedOut(operation: operation, address: address)
        default: .system(operation: operation, address: address, errno: code)
        }
    }
}
