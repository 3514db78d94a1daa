import Transport

extension Backoff {
    /// Waits out the delay before retry `attempt` on a loop of `group`, or throws `failure`
    /// when the wait would end past `deadline`: a command is retried only within its timeout.
    func pause(_ attempt: Int, until deadline: ContinuousClock.Instant, on group: EventLoopGroup, failing failure: RedisClientError) async throws(RedisClientError) {
        let delay = delay(attempt: attempt)
        guard ContinuousClock.now + delay < deadline else { throw failure }
        do {
            try await group.sleep(for: delay)
        } catch {
            throw .cancelled
        }
    }
}
