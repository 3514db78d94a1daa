/// How long a test waits for something that should happen promptly before it gives up: long
/// enough for a loaded two-core machine running every suite at once, short enough that a hang
/// fails within a suite's time limit. It bounds a wait; it never measures speed.
public let testPatience: Duration = .seconds(30)

/// A wait in a test that took longer than it may.
public struct TestTimeout: Error, CustomStringConvertible {
    /// What the test was waiting for.
    public var what: String
    /// How long it waited.
    public var limit: Duration

    public init(what: String, limit: Duration) {
        self.what = what
        self.limit = limit
    }

    public var description: String { "timed out after \(limit) waiting for \(what)" }
}
