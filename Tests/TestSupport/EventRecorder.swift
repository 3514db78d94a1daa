import Synchronization

/// Keeps what the code under test reports (log events, pushed messages, callbacks) and lets a
/// test wait for a report it expects, woken by each new one rather than polling.
public final class EventRecorder<Event: Sendable>: Sendable {
    private let events = Mutex<[Event]>([])
    private let count = EventCount()

    public init() {}

    /// Everything recorded so far, oldest first.
    public var all: [Event] { events.withLock { $0 } }

    public func record(_ event: Event) {
        events.withLock { $0.append(event) }
        count.record()
    }

    /// Returns the `occurrence`-th recorded event that `matches` accepts, once there is one;
    /// throws `TestTimeout`, naming `what` and listing what was recorded, after `limit`.
    @discardableResult
    public func first(
        _ what: String, occurrence: Int = 1, within limit: Duration = testPatience, where matches: (Event) -> Bool
    ) async throws -> Event {
        let deadline = ContinuousClock.now + limit
        while true {
            let seen = all
            let matching = seen.filter(matches)
            if matching.count >= occurrence { return matching[occurrence - 1] }
            do {
                try await count.reached(seen.count + 1, timeout: deadline - .now)
            } catch is TestTimeout {
                throw TestTimeout(what: "\(what) (recorded: \(seen))", limit: limit)
            }
        }
    }
}
