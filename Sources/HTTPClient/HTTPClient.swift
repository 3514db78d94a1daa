import Bytes
import Synchronization
import Transport

/// A small HTTP/1.1 client for one server: requests with Content-Length bodies, responses read
/// whole, kept-alive connections reused.
///
/// ```swift
/// let client = HTTPClient(host: "127.0.0.1", port: 4318)
/// let response = try await client.execute(HTTPClientRequest(method: "POST", target: "/v1/traces",
///     headers: ["Content-Type": "application/json"], body: ByteBuffer(string: "{}")))
/// ```
///
/// Each request takes an idle connection or makes a new one, so concurrent requests use
/// connections of their own. Every wait (connect, write, read) has a timeout timed by the
/// connection's event loop, and a request as a whole has a deadline. A request that finds its
/// reused connection closed by the server before any response byte arrived is sent once more
/// on a new connection (the server may drop an idle connection just as a request is written).
public final class HTTPClient: Sendable {
    public let host: String
    public let port: Int
    public let configuration: HTTPClientConfiguration
    private let group: EventLoopGroup
    /// Kept-alive connections waiting for a request; the lock is held only to take or add one.
    private let idle = Mutex<[HTTPClientConnection]>([])

    public init(host: String, port: Int, configuration: HTTPClientConfiguration = HTTPClientConfiguration(), group: EventLoopGroup = .shared) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.group = group
    }

    /// A client for the server of `endpoint`.
    public convenience init(endpoint: HTTPEndpoint, configuration: HTTPClientConfiguration = HTTPClientConfiguration(), group: EventLoopGroup = .shared) {
        self.init(host: endpoint.host, port: endpoint.port, configuration: configuration, group: group)
    }

    /// Connections waiting for reuse.
    public var idleConnections: Int { idle.withLock { $0.count } }

    /// Sends `request` and returns the whole response.
    /// - Parameter deadline: when the request fails with `.timedOut` if not complete; by
    ///   default `configuration.requestTimeout` from now.
    /// - Throws: `HTTPClientError`: `.invalidRequest`, `.connectFailed`, `.timedOut` (naming the
    ///   phase), `.connectionLost`, `.malformedResponse`, `.cancelled`.
    public func execute(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        let deadline = deadline ?? .now + configuration.requestTimeout
        let bytes = try request.encoded(host: HTTPEndpoint.hostHeader(host: host, port: port))
        let isHEAD = request.method == "HEAD"
        while true {
            if Task.isCancelled { throw .cancelled }
            let reused = idle.withLock { $0.popLast() }
            let connection: HTTPClientConnection
            if let reused {
                connection = reused
            } else {
                connection = try await HTTPClientConnection.connect(host: host, port: port, deadline: deadline, configuration: configuration, group: group)
            }
            do {
                let (response, reusable) = try await connection.roundTrip(bytes, isHEAD: isHEAD, deadline: deadline, configuration: configuration)
                if reusable { checkIn(connection) } else { connection.close() }
                return response
            } catch {
                connection.close()
                if reused != nil && error.nothingReceived { continue }
                throw error.error
            }
        }
    }

    /// Closes the idle connections. Requests under way finish; later ones connect anew.
    public func closeIdleConnections() {
        let connections = idle.withLock { idle in
            defer { idle.removeAll() }
            return idle
        }
        for connection in connections { connection.close() }
    }

    private func checkIn(_ connection: HTTPClientConnection) {
        let kept = idle.withLock { idle in
            guard idle.count < configuration.maxIdleConnections else { return false }
            idle.append(connection)
            return true
        }
        if !kept { connection.close() }
    }
}

extension HTTPEndpoint {
    /// The Host field value for `host:port`.
    static func hostHeader(host: String, port: Int) -> String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }
}
