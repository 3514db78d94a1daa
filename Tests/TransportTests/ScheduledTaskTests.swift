import Synchronization
import Testing
import TestSupport
@testable import Transport

/// `EventLoop.scheduleTask` and `withDeadline`: the loop's timers as the one deadline mechanism.
@Suite struct ScheduledTaskTests {
    let loop = EventLoopGroup.shared.next()

    @Test func aTaskRunsOnTheLoopNoEarlierThanItsDeadline() async throws {
        let start = ContinuousClock.now
        let (ranAt, onLoop) = await withCheckedContinuation { (done: CheckedContinuation<(ContinuousClock.Instant, Bool), Never>) in
            loop.scheduleTask(in: .milliseconds(20)) { [loop] in done.resume(returning: (.now, loop.isCurrent)) }
        }
        #expect(ranAt - start >= .milliseconds(20))
        #expect(onLoop)
    }

    @Test func aCancelledTaskNeverRuns() async throws {
        let ran = Atomic<Int>(0)
        let scheduled = loop.scheduleTask(in: .milliseconds(10)) { ran.add(1, ordering: .relaxed) }
        scheduled.cancel()
        scheduled.cancel()
        // A later task on the same loop runs after the cancelled one's deadline.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.scheduleTask(in: .milliseconds(40)) { done.resume() }
        }
        let runs = ran.load(ordering: .relaxed)
        #expect(runs == 0)
    }

    @Test func tasksAtAnInstantInThePastRunAtOnceInDeadlineOrder() async throws {
        let order = Mutex<[Int]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.scheduleTask(at: .now + .milliseconds(5)) {
                order.withLock { $0.append(3) }
                done.resume()
            }
            loop.scheduleTask(at: .now - .seconds(1)) { order.withLock { $0.append(1) } }
            loop.scheduleTask(at: .now) { order.withLock { $0.append(2) } }
        }
        #expect(order.withLock { $0 } == [1, 2, 3])
    }

    @Test func withDeadlineReturnsTheResultWhenItComesFirst() async throws {
        let value = try await withTimeout(.seconds(10), on: loop, operation: "quick") { 42 }
        #expect(value == 42)
    }

    @Test func withDeadlineCancelsTheBodyAndThrowsTimedOut() async throws {
        let bodyCancelled = Atomic<Bool>(false)
        let start = ContinuousClock.now
        await #expect(throws: TransportError.timedOut(operation: "slow thing", address: nil)) {
            try await withTimeout(.milliseconds(30), on: loop, operation: "slow thing") {
                do {
                    try await untilCancelled()
                } catch {
                    bodyCancelled.store(true, ordering: .relaxed)
                    throw error
                }
            }
        }
        let cancelled = bodyCancelled.load(ordering: .relaxed)
        #expect(cancelled)
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func withDeadlinePassesOnTheBodysError() async throws {
        struct Refused: Error, Equatable {}
        await #expect(throws: Refused()) {
            try await withTimeout(.seconds(10), on: loop, operation: "refused") { throw Refused() }
        }
    }

    @Test func aNilResultIsNotMistakenForTheDeadline() async throws {
        let value: Int? = try await withTimeout(.seconds(10), on: loop, operation: "optional") { nil }
        #expect(value == nil)
    }

    @Test func cancellingTheCallerEndsTheWaitWithCancellation() async throws {
        let waiting = Task {
            try await withTimeout(.seconds(60), on: loop, operation: "long") { try await untilCancelled() }
        }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}
