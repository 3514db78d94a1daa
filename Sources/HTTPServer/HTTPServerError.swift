import Glibc
import Transport

/// Why a server could not start listening, and on which address.
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// The host did not resolve to an address; `code` is the `getaddrinfo` result (`EAI_*`).
        case unresolvableHost(code: Int32)
        /// The socket could not be opened, bound or made to listen; `errno` says why, e.g.
        /// EADDRINUSE when another socket holds the port, EACCES for a privileged port.
        case bindFailed(errno: Int32)
        /// The task was cancelled while the host was being resolved.
        case cancelled
        /// Another socket failure, as the transport reported it (which operation, and why), e.g.
        /// `.timedOut(operation: "resolve", ...)` when resolving the host took too long.
        case transport(TransportError)
        /// An error the listener is not documented to throw, by its description.
        case unexpected(String)
    }

    /// What went wrong.
    public let reason: Reason
    /// The address the server was to listen on, as `host:port` from the configuration.
    public let address: String

    /// An error for `reason` on `address`.
    public init(_ reason: Reason, address: String) {
        self.reason = reason
        self.address = address
    }

    /// The address and the cause, for logs.
    public var description: String {
        switch reason {
        case .unresolvableHost(let code):
            "cannot listen on \(address): host not resolved: \(String(cString: gai_strerror(code)))"
        case .bindFailed(let code):
            "cannot listen on \(address): \(String(cString: strerror(code))) (errno \(code))"
        case .cancelled:
            "cannot listen on \(address): cancelled"
        case .transport(let error):
            "cannot listen on \(address): \(error)"
        case .unexpected(let description):
            "cannot listen on \(address): \(description)"
        }
    }

    /// Maps what `TCPListener.bind` throws for `address`.
    init(binding error: any Error, address: String) {
        switch error {
        case let error as TransportError where error.code == .unresolvable:
            self.init(.unresolvableHost(code: error.errno ?? 0), address: address)
        case let error as TransportError where error.code == .system:
            // Opening, binding or listening: `TCPListener.bind` names them all "bind".
            self.init(.bindFailed(errno: error.errno ?? 0), address: address)
        case let error as TransportError:
            self.init(.transport(error), address: address)
        case is CancellationError:
            self.init(.cancelled, address: address)
        default:
            self.init(.unexpected(String(describing: error)), address: address)
        }
    }
}
