import Glibc
import Synchronization
import Testing
import TestSupport
@testable import Transport

/// Calls to the injected `epoll_pwait2` wrappers below.
private let pwait2Calls = Atomic<Int>(0)

/// `EventLoop.sleep(for:)`: timed by the loop, never early, ended at once by cancellation.
@Suite(.serialized) struct LoopSleepTests {
    /// A loop on the real calls with `epoll_pwait2` replaced by `pwait2`.
    func loop(pwait2: LinuxCalls.EpollPwait2?) throws -> EventLoop {
        var calls = try LinuxCalls.system.get()
        calls.epollPwait2 = pwait2
        pwait2Calls.store(0, ordering: .relaxed)
        return try EventLoop(calls: calls)
    }

    /// Sleeps `count` times for `duration` on `loop`; returns the shortest time a sleep took.
    func shortestSleep(on loop: EventLoop, _ duration: Duration, count: Int) async throws -> Duration {
        var shortest = Duration.seconds(3600)
        for _ in 0..<count {
            let start = ContinuousClock.now
            try await loop.sleep(for: duration)
            shortest = min(shortest, ContinuousClock.now - start)
        }
        return shortest
    }

    @Test(.enabled(if: (try? LinuxCalls.system.get())?.epollPwait2 != nil, "the C library has epoll_pwait2 (glibc 2.35 or later)"))
    func aSleepNeverEndsEarlyAndIsTimedInNanoseconds() async throws {
        let loop = try loop(pwait2: { epollFD, events, capacity, timeout, mask in
            pwait2Calls.add(1, ordering: .relaxed)
            return try! LinuxCalls.system.get().epollPwait2!(epollFD, events, capacity, timeout, mask)
        })
        defer { loop.stop() }
        #expect(try await shortestSleep(on: loop, .microseconds(300), count: 20) >= .microseconds(300))
        #expect(pwait2Calls.load(ordering: .relaxed) >= 20, "every timed wait went through epoll_pwait2")
    }

    @Test func withoutEpollPwait2ASleepStillNeverEndsEarly() async throws {
        let loop = try loop(pwait2: nil)
        defer { loop.stop() }
        // epoll_wait's timeout is in whole milliseconds: rounded up, never down to an early wake.
        #expect(try await shortestSleep(on: loop, .microseconds(300), count: 5) >= .microseconds(300))
    }

    @Test func aKernelWithoutEpollPwait2IsAskedOnceThenEpollWaitServes() async throws {
        let loop = try loop(pwait2: { _, _, _, _, _ in
            pwait2Calls.add(1, ordering: .relaxed)
            errno = ENOSYS
            return -1
        })
        defer { loop.stop() }
        #expect(try await shortestSleep(on: loop, .microseconds(300), count: 5) >= .microseconds(300))
        #expect(pwait2Calls.load(ordering: .relaxed) == 1)
    }

    /// Seccomp profiles of older container engines answer EPERM for calls they do not list: the
    /// loop must move to epoll_wait rather than call epoll_pwait2 again and again.
    @Test func aSeccompRefusalOfEpollPwait2IsAskedOnceThenEpollWaitServes() async throws {
        let loop = try loop(pwait2: { _, _, _, _, _ in
            pwait2Calls.add(1, ordering: .relaxed)
            errno = EPERM
            return -1
        })
        defer { loop.stop() }
        #expect(try await shortestSleep(on: loop, .microseconds(300), count: 5) >= .microseconds(300))
        #expect(pwait2Calls.load(ordering: .relaxed) == 1)
    }

    @Test func aSignalInterruptingEpollPwait2DoesNotGiveUpOnIt() async throws {
        let loop = try loop(pwait2: { epollFD, events, capacity, timeout, mask in
            // Every other call is interrupted, as by a signal.
            if pwait2Calls.add(1, ordering: .relaxed).newValue % 2 == 1 {
                errno = EINTR
                return -1
            }
            return try! LinuxCalls.system.get().epollPwait2!(epollFD, events, capacity, timeout, mask)
        })
        defer { loop.stop() }
        #expect(try await shortestSleep(on: loop, .microseconds(300), count: 5) >= .microseconds(300))
        #expect(pwait2Calls.load(ordering: .relaxed) >= 10, "still waiting with epoll_pwait2 after EINTR")
    }

    @Test func cancellationEndsASleepAtOnce() async throws {
        let loop = try loop(pwait2: LinuxCalls.system.get().epollPwait2)
        defer { loop.stop() }
        let start = ContinuousClock.now
        let sleeping = Task { try await loop.sleep(for: .seconds(60)) }
        try await eventually("the sleep's timer") { loop.hasTimers }
        sleeping.cancel()
        await #expect(throws: CancellationError.self) { try await sleeping.value }
        #expect(ContinuousClock.now - start < .seconds(30))
        let alreadyCancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await loop.sleep(for: .seconds(60))
        }
        await #expect(throws: CancellationError.self) { try await alreadyCancelled.value }
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func aLoopKnowsWhetherItIsTheCallingThread() async throws {
        let group = try EventLoopGroup.start(threads: 2)
        let (first, second) = (group.loops[0], group.loops[1])
        #expect(!first.isCurrent)
        let seen = await withCheckedContinuation { (done: CheckedContinuation<(Bool, Bool), Never>) in
            first.execute { done.resume(returning: (first.isCurrent, second.isCurrent)) }
        }
        #expect(seen == (true, false))
    }
}
