import Bytes
import Transport

/// Why a request failed, and where.
public enum HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which wait ran out of time.
    public enum Phase: String, Sendable, Hashable {
        case connect, write, read
    }

    /// The URL cannot be used: the URL and why (the description masks its password).
    case invalidURL(String, String)
    /// The request cannot be written without breaking its framing.
    case invalidRequest(String)
    /// No connection could be made to `address`.
    case connectFailed(address: String, TransportError)
    /// A phase of the request did not complete in time.
    case timedOut(Phase, address: String)
    /// The connection failed or was closed by the server before the response was complete.
    case connectionLost(address: String, TransportError?)
    /// The server's response broke the protocol.
    case malformedResponse(address: String, HTTPResponseParserError)
    /// The calling task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): "invalid URL \(URLCredentials.redacted(url).debugDescription): \(reason)"
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .connectFailed(let address, let error): "cannot connect to \(address): \(error)"
        case .timedOut(let phase, let address): "\(phase.rawValue) timed out (\(address))"
        case .connectionLost(let address, let error): "connection to \(address) lost before the response ended" + (error.map { ": \($0)" } ?? "")
        case .malformedResponse(let address, let error): "\(error) from \(address)"
        case .cancelled: "request cancelled"
        }
    }
}
