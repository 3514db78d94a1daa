import Transport

/// How hard to try when connecting to a list of endpoints.
public struct RetryPolicy: Sendable, Hashable {
    /// Connection attempts in total, across all endpoints (at least 1); nil for no limit.
    public var maxAttempts: Int?
    /// Pauses after each full pass over the endpoints failed: `backoff.delay(attempt: n)` after pass n.
    public var backoff: Backoff
    /// Bound for the whole effort, attempts and pauses included; nil for none.
    public var overallTimeout: Duration?
    /// Bound for one attempt (TCP connect plus handshake).
    public var attemptTimeout: Duration

    /// A policy; `maxAttempts` below 1 counts as 1. The defaults try for up to a minute, ten
    /// attempts at most, pausing 100 ms after the first pass and doubling up to 5 s.
    public init(
        maxAttempts: Int? = 10, backoff: Backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5)),
        overallTimeout: Duration? = .seconds(60), attemptTimeout: Duration = .seconds(10)
    ) {
        self.maxAttempts = maxAttempts.map { max($0, 1) }
        self.backoff = backoff
        self.overallTimeout = overallTimeout
        self.attemptTimeout = attemptTimeout
    }

    /// Tries until it succeeds or the task is cancelled: what a long-running service wants.
    public static func forever(backoff: Backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0.2)) -> RetryPolicy {
        RetryPolicy(maxAttempts: nil, backoff: backoff, overallTimeout: nil)
    }
}

extension AMQPConnection {
    /// Connects to the first endpoint that accepts, trying them in turn starting at `first`, with
    /// a pause (`retry.backoff`, timed by the event loop) after each full pass. A refused login
    /// (403) is not retried: every node of a deployment would refuse it the same way.
    ///
    /// - Parameter configuration: when nil, each endpoint's own URL provides user, password and vhost.
    /// - Returns: the connection and the index of the endpoint it reached.
    /// - Throws: `AMQPConnectionError.noEndpointReachable` with the attempts actually made (fewer
    ///   than `maxAttempts` when `overallTimeout` ended the effort first) and the last failure as
    ///   its `underlying` error; `.connectionClosed` for a refused login; `.cancelled`.
    public static func connect(
        to endpoints: [AMQPURL], startingAt first: Int = 0, configuration: ConnectionConfiguration? = nil,
        retry: RetryPolicy = RetryPolicy(), on group: EventLoopGroup = .shared
    ) async throws(AMQPConnectionError) -> (connection: AMQPConnection, endpoint: Int) {
        guard !endpoints.isEmpty else { throw .noEndpointReachable(attempts: 0, last: nil) }
        let deadline = retry.overallTimeout.map { ContinuousClock.now + $0 }
        let loop = group.next()
        var last: (error: AMQPConnectionError, endpoint: String)?
        var attempts = 0
        while attempts < retry.maxAttempts ?? .max {
            if Task.isCancelled { throw .cancelled }
            let index = (first + attempts) % endpoints.count
            let remaining = deadline.map { $0 - .now } ?? retry.attemptTimeout
            guard remaining > .zero else { break }
            attempts += 1
            do {
                let connection = try await connect(to: endpoints[index], configuration: configuration, timeout: min(retry.attemptTimeout, remaining), on: group)
                return (connection, index)
            } catch {
                if error.code == .cancelled || (error.code == .connectionClosed && error.replyCode == .accessRefused) { throw error }
                last = (error, "\(endpoints[index].host):\(endpoints[index].port)")
            }
            if attempts % endpoints.count == 0 && attempts < retry.maxAttempts ?? .max {
                let pause = retry.backoff.delay(attempt: attempts / endpoints.count)
                do {
                    try await loop.sleep(for: deadline.map { min(pause, max($0 - .now, .zero)) } ?? pause)
                } catch {
                    throw .cancelled
                }
            }
        }
        throw .noEndpointReachable(attempts: attempts, last: last?.error, endpoint: last?.endpoint)
    }
}
