/// Waits until `condition` holds, checking it every `interval`; throws `TestTimeout` naming
/// `what` once `limit` has passed, so a regression fails the test instead of hanging it. Returns
/// how long the wait took.
///
/// For a state that can be read but announces no event (a count, a connection's state, what a
/// server reports); where the code under test offers an event, wait for the event instead.
@discardableResult
public func eventually(
    _ what: String, within limit: Duration = testPatience, every interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws -> Duration {
    let start = ContinuousClock.now
    while try await !condition() {
        guard ContinuousClock.now - start < limit else { throw TestTimeout(what: what, limit: limit) }
        try await Task.sleep(for: interval)
    }
    return ContinuousClock.now - start
}
