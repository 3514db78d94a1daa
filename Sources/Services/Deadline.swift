/// Thrown when an operation did not finish within its deadline.
public struct DeadlineExceeded: Error, CustomStringConvertible, Sendable {
    public let limit: Duration
    public var description: String { "deadline of \(limit) exceeded" }
}
