/// Holds whoever passes it until `open()`, so a test can be sure an operation is under way (not
/// merely started) whatever the machine's load, and decide when it goes on. A pass gives up with
/// `TestTimeout` after its timeout, so a test that never opens the gate fails instead of hanging.
/// Waiting ignores cancellation.
public final class Gate: Sendable {
    private let arrivals = EventCount()
    private let departures = EventCount()
    private let opening = EventCount()

    public init() {}

    /// Passes that have reached the gate.
    public var arrived: Int { arrivals.value }

    /// Passes held at the gate now.
    public var waiting: Int { arrivals.value - departures.value }

    /// Returns once `count` passes have reached the gate.
    public func awaitArrivals(_ count: Int, timeout: Duration = testPatience) async throws {
        try await arrivals.reached(count, timeout: timeout)
    }

    /// Waits until the gate is open.
    public func pass(timeout: Duration = testPatience) async throws {
        arrivals.record()
        defer { departures.record() }
        try await opening.reached(1, timeout: timeout)
    }

    /// Lets every held and later pass through.
    public func open() {
        opening.record()
    }
}
