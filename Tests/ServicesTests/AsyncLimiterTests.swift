@testable import Services
import Synchronization
import Testing
import TestSupport

@Suite struct AsyncLimiterTests {
    final class Running: Sendable {
        let counts = Mutex((now: 0, peak: 0))
        let order = Mutex<[String]>([])
    }

    @Test func neverRunsMoreThanItsLimitAtOnce() async throws {
        let limiter = AsyncLimiter(limit: 3)
        let running = Running()
        let gate = Gate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await limiter.run {
                        running.counts.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
                        try await gate.pass()
                        running.counts.withLock { $0.now -= 1 }
                    }
                }
            }
            // Every operation either holds a slot at the gate or queues for one: only then may the
            // held ones go on, so the peak is what the limiter admitted at once.
            try await eventually("all 20 operations running or queued") { gate.waiting + limiter.waiting == 20 }
            gate.open()
            try await group.waitForAll()
        }
        #expect(running.counts.withLock { $0.peak } == 3)
    }

    /// Holds `weight` slots of `limiter` until the returned continuation is resumed.
    private func hold(_ limiter: AsyncLimiter, weight: Int) async -> (task: Task<Void, any Error>, release: AsyncStream<Void>.Continuation) {
        let holding = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let task = Task {
            try await limiter.run(weight: weight) {
                holding.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in holding.stream { break }
        return (task, release.continuation)
    }

    @Test func aHeavyWaiterIsNotOvertakenByLighterOnes() async throws {
        let limiter = AsyncLimiter(limit: 4)
        let holder = await hold(limiter, weight: 2)
        let running = Running()
        let heavy = Task { try await limiter.run(weight: 4) { running.order.withLock { $0.append("heavy") } } }
        try await eventually("the heavy waiter to queue") { limiter.waiting == 1 }
        // Two slots are free, but the heavy waiter came first: the light one queues behind it.
        let light = Task { try await limiter.run(weight: 1) { running.order.withLock { $0.append("light") } } }
        try await eventually("the light waiter to queue") { limiter.waiting == 2 }
        #expect(running.order.withLock { $0 }.isEmpty)
        holder.release.yield()
        try await holder.task.value
        try await within(testPatience, "both waiters") { try await heavy.value; try await light.value }
        #expect(running.order.withLock { $0 } == ["heavy", "light"])
    }

    @Test func aWeightAboveTheLimitTakesTheWholeLimitInsteadOfWaitingForever() async throws {
        let limiter = AsyncLimiter(limit: 3)
        let result = try await within(testPatience, "the heavy run") { try await limiter.run(weight: 50) { "ran" } }
        #expect(result == "ran")
    }

    @Test func cancellingAHeavyWaiterAdmitsTheLighterOnesBehindIt() async throws {
        let limiter = AsyncLimiter(limit: 4)
        let holder = await hold(limiter, weight: 2)
        let heavy = Task { try await limiter.run(weight: 4) { "heavy" } }
        try await eventually("the heavy waiter to queue") { limiter.waiting == 1 }
        let light = Task { try await limiter.run(weight: 2) { "light" } }
        try await eventually("the light waiter to queue") { limiter.waiting == 2 }
        heavy.cancel()
        await #expect(throws: CancellationError.self) { try await heavy.value }
        // Nothing was released: only the heavy waiter's leaving lets the light one in.
        #expect(try await within(testPatience, "the light waiter") { try await light.value } == "light")
        holder.release.yield()
        try await holder.task.value
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
        try await eventually("the waiter to queue") { limiter.waiting == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        release.continuation.yield()
        try await holder.value
        // The one slot is free again: a cancelled waiter must neither hold it nor be handed it.
        let after = try await within(testPatience, "the freed slot") { try await limiter.run { "free" } }
        #expect(after == "free")
    }
}
