/// Runs `operation` until it succeeds or until the next attempt would start after `deadline`,
/// waiting 50 ms, doubling up to `maxDelay`, between attempts. Returns nil on success, else the
/// last error. For writes that record what already happened (an accepted order, a sent
/// notification), where failing the whole request or message would make it happen twice.
func retrying(until deadline: ContinuousClock.Instant, maxDelay: Duration = .seconds(1), _ operation: () async throws -> Void) async -> (any Error)? {
    var delay = Duration.milliseconds(50)
    while true {
        do {
            try await operation()
            return nil
        } catch {
            // A cancelled task's sleep returns at once: retrying would spin.
            guard !Task.isCancelled, ContinuousClock.now + delay < deadline else { return error }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, maxDelay)
        }
    }
}
