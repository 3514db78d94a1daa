@testable import Services
import Synchronization
import Testing

@Suite struct AsyncLimiterTests {
    final class Running: Sendable {
        let counts = Mutex((now: 0, peak: 0))
    }

    @Test func neverRunsMoreThanItsLimitAtOnce() async throws {
        let limiter = AsyncLimiter(limit: 3)
        let running = Running()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await limiter.run {
                        running.counts.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
                        try await Task.sleep(for: .milliseconds(10))
                        running.counts.withLock { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(running.counts.withLock { $0.peak } == 3)
    }

    @Test func aCancelledWaiterLeavesTheQueueWithoutTakingASlot() async throws {
        let limiter = AsyncLimiter(limit: 1)
        let holding = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await limiter.run {
                holding.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in holding.stream { break }
        let waiter = Task { try await limiter.run { "ran" } }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        release.continuation.yield()
        try await holder.value
        // The one slot is free again: a cancelled waiter must neither hold it nor be handed it.
        let after = try await withDeadline(.seconds(2)) { try await limiter.run { "free" } }
        #expect(after == "free")
    }
}

/// Runs `operation`, failing with `DeadlineExceeded` when it takes longer than `limit`, so a hang
/// fails the test instead of stalling it.
private func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
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
