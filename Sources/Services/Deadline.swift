/// Thrown when an operation did not finish within its deadline.
public struct DeadlineExceeded: Error, CustomStringConvertible, Sendable {
    public let limit: Duration
    public var description: String { "deadline of \(limit) exceeded" }
}

/// Runs `operation`, cancelling it and throwing `DeadlineExceeded` when it takes longer than `limit`.
public func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeadlineExceeded(limit: limit)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
