#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Transport

/// Why a server could not start listening, and on which address.
///
/// A struct with a `code` rather than an enum, so that a new kind of failure does not break code
/// that switches over them: `catch HTTPServerError.Code.bindFailed`, or compare `error.code`.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unresolvableHost, bindFailed, cancelled, transport, unexpected
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The host did not resolve to an address; `errno` holds the `getaddrinfo` result (`EAI_*`).
        public static let unresolvableHost = Code(.unresolvableHost)
        /// The socket could not be opened, bound or made to listen; `errno` says why, e.g.
        /// EADDRINUSE when another socket holds the port, EACCES for a privileged port.
        public static let bindFailed = Code(.bindFailed)
        /// The task was cancelled while the host was being resolved.
        public static let cancelled = Code(.cancelled)
        /// Another socket failure; `cause` is the `TransportError` (which operation, and why),
        /// e.g. `.timedOut` when resolving the host took too long.
        public static let transport = Code(.transport)
        /// An error the listener is not documented to throw; `cause` holds it.
        public static let unexpected = Code(.unexpected)

        /// The code's name, e.g. `bindFailed`.
        public var description: String { base.rawValue }

        /// Lets a `catch` clause match on a code: `catch HTTPServerError.Code.bindFailed`.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? HTTPServerError)?.code == code
        }
    }

    /// What kind of failure.
    public let code: Code
    /// The address the server was to listen on, as `host:port` from the configuration.
    public let address: String
    /// The system's error number for `bindFailed`, the `getaddrinfo` code for `unresolvableHost`.
    public let errno: Int32?
    /// The error the listener threw, kept whole.
    public let cause: (any Error)?

    /// An error with `code` on `address`.
    public init(_ code: Code, address: String, errno: Int32? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.address = address
        self.errno = errno
        self.cause = cause
    }

    /// The address and the cause, for logs.
    public var description: String {
        let why = switch code {
        case .unresolvableHost: "host not resolved: \(String(cString: gai_strerror(errno ?? EAI_NONAME)))"
        case .bindFailed: "\(String(cString: strerror(errno ?? 0))) (errno \(errno ?? 0))"
        case .cancelled: "cancelled"
        default: cause.map { "\($0)" } ?? code.description
        }
        return "cannot listen on \(address): \(why)"
    }

    /// Maps what `TCPListener.bind` throws for `address`.
    init(binding error: any Error, address: String) {
        switch error {
        case let error as TransportError where error.code == .unresolvable:
            self.init(.unresolvableHost, address: address, errno: error.errno, cause: error)
        case let error as TransportError where error.code == .system:
            // Opening, binding or listening: `TCPListener.bind` names them all "bind".
            self.init(.bindFailed, address: address, errno: error.errno, cause: error)
        case let error as TransportError:
            self.init(.transport, address: address, cause: error)
        case is CancellationError:
            self.init(.cancelled, address: address, cause: error)
        default:
            self.init(.unexpected, address: address, cause: error)
        }
    }
}
