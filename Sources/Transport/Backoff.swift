/// How long to wait before each retry: exponential growth from `initial` up to `maximum`, with
/// optional jitter. The one backoff of the project: reconnects of the Redis and AMQP clients,
/// the services' retries of Redis writes and of messages, and the accept loop after EMFILE.
///
/// ```swift
/// let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
/// try await loop.sleep(for: backoff.delay(attempt: failures))
/// ```
public struct Backoff: Sendable, Hashable {
    /// The delay before the first retry.
    public var initial: Duration
    /// The longest delay.
    public var maximum: Duration
    /// Growth per attempt (2 doubles).
    public var multiplier: Double
    /// Share of each delay drawn at random, 0 (none) to 1: a delay `d` becomes a value in
    /// `d × (1 − jitter) ... d`, so clients that failed together do not retry together.
    public var jitter: Double

    /// A backoff; `multiplier` below 1 counts as 1 and `jitter` is clamped to 0...1.
    public init(initial: Duration, maximum: Duration, multiplier: Double = 2, jitter: Double = 0) {
        precondition(initial >= .zero && maximum >= initial, "a backoff needs 0 <= initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        self.multiplier = max(multiplier, 1)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before retry number `attempt` (1 for the first retry): `initial × multiplier^(attempt − 1)`,
    /// at most `maximum`, less its random share of jitter.
    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    /// `delay(attempt:)` drawing the jitter from `generator`, for reproducible sequences.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        var delay = initial
        var step = 1
        // Multiplied step by step, so a large attempt count cannot overflow.
        while step < attempt && delay < maximum {
            delay = delay * multiplier
            step += 1
        }
        delay = min(delay, maximum)
        guard jitter > 0, delay > .zero else { return delay }
        return delay * (1 - jitter * Double.random(in: 0...1, using: &generator))
    }
}
