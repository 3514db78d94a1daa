import Transport

/// Runs `operation` until it succeeds or until the next attempt would start after `deadline`,
/// waiting between attempts as `backoff` says, timed by `loops`. Returns nil on success, else the
/// last error. For writes that record what already happened (an accepted order, a sent
/// notification), where failing the whole request or message would make it happen twice.
func retrying(
    until deadline: ContinuousClock.Instant, backoff: Backoff, on loops: EventLoopGroup, _ operation: () async throws -> Void
) async -> (any Error)? {
    var failures = 0
    while true {
        do {
            try await operation()
            return nil
        } catch {
            failures += 1
            let delay = backoff.delay(attempt: failures)
            // A cancelled task's sleep returns at once: retrying would spin.
            guard !Task.isCancelled, ContinuousClock.now + delay < deadline else { return error }
            try? await loops.sleep(for: delay)
        }
    }
}
