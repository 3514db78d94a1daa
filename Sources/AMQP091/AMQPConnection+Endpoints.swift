import Transport

/// How hard to try when connecting to a list of endpoints.
public struct RetryPolicy: Sendable, Hashable {
    /// Connection attempts in total, across all endpoints (at least 1).
    public var maxAttempts: Int
    /// Pause after a full pass over the endpoints failed; doubles after each pass up to `maxBackoff`.
    public var initialBackoff: Duration
    /// Longest pause between passes.
    public var maxBackoff: Duration
    /// Bound for the whole effort, attempts and pauses included.
    public var overallTimeout: Duration
    /// Bound for one attempt (TCP connect plus handshake).
    public var attemptTimeout: Duration

    /// A policy; `maxAttempts` below 1 counts as 1. The defaults try for up to a minute, ten
    /// attempts at most, pausing 100 ms after the first pass and doubling up to 5 s.
    public init(
        maxAttempts: Int = 10, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(5),
        overallTimeout: Duration = .seconds(60), attemptTimeout: Duration = .seconds(10)
    ) {
        self.maxAttempts = max(maxAttempts, 1)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.overallTimeout = overallTimeout
        self.attemptTimeout = attemptTimeout
    }
}

extension AMQPConnection {
    /// Connects to the first endpoint that accepts, trying them in turn starting at `first`, with
    /// a pause that grows after each full pass. A refused login (403) is not retried: every node
    /// of a deployment would refuse it the same way.
    ///
    /// - Parameter configuration: when nil, each endpoint's own URL provides user, password and vhost.
    /// - Returns: the connection and the index of the endpoint it reached.
    /// - Throws: `AMQPConnectionError.noEndpointReachable` with the attempts actually made (fewer
    ///   than `maxAttempts` when `overallTimeout` ended the effort first) and the last failure; `.connectionClosed` for a refused login; `CancellationError`.
    public static func connect(
        to endpoints: [AMQPURL], startingAt first: Int = 0, configuration: ConnectionConfiguration? = nil,
        retry: RetryPolicy = RetryPolicy(), on group: EventLoopGroup = .shared
    ) async throws -> (connection: AMQPConnection, endpoint: Int) {
        guard !endpoints.isEmpty else { throw AMQPConnectionError.noEndpointReachable(attempts: 0, lastError: "no endpoints given") }
        let deadline = ContinuousClock.now + retry.overallTimeout
        var backoff = retry.initialBackoff
        var lastError = ""
        var attempts = 0
        for attempt in 0..<retry.maxAttempts {
            try Task.checkCancellation()
            let index = (first + attempt) % endpoints.count
            let remaining = deadline - .now
            guard remaining > .zero else { break }
            attempts += 1
            do {
                let connection = try await connect(to: endpoints[index], configuration: configuration, timeout: min(retry.attemptTimeout, remaining), on: group)
                return (connection, index)
            } catch let error as AMQPConnectionError {
                if case .connectionClosed(.accessRefused, _, _, _) = error { throw error }
                lastError = "\(endpoints[index].host):\(endpoints[index].port): \(error)"
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = "\(endpoints[index].host):\(endpoints[index].port): \(error)"
            }
            let passEnded = (attempt + 1) % endpoints.count == 0
            if passEnded && attempt + 1 < retry.maxAttempts {
                try await Task.sleep(for: min(backoff, max(deadline - .now, .zero)))
                backoff = min(backoff * 2, retry.maxBackoff)
            }
        }
        throw AMQPConnectionError.noEndpointReachable(attempts: attempts, lastError: lastError)
    }
}
