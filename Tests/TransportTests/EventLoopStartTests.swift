import Glibc
import Synchronization
import Testing
import TestSupport
@testable import Transport

/// Calls to the injected `eventfd` below; only `secondLoopFails` uses it.
private let eventFDCalls = Atomic<Int>(0)

/// Starting event loops reports what failed as a typed error instead of stopping the process.
@Suite(.serialized) struct EventLoopStartTests {
    @Test func failedEpollCreateIsATypedError() throws {
        var calls = try LinuxCalls.system.get()
        calls.epollCreate1 = { _ in
            errno = EMFILE
            return -1
        }
        #expect(throws: TransportError.system(operation: "epoll_create1", address: nil, errno: EMFILE)) {
            _ = try EventLoopGroup.startLoops(2, calls: calls)
        }
    }

    @Test func secondLoopFailingFailsTheGroup() throws {
        var calls = try LinuxCalls.system.get()
        eventFDCalls.store(0, ordering: .relaxed)
        calls.eventfd = { value, flags in
            guard eventFDCalls.add(1, ordering: .relaxed).oldValue == 0, case .success(let real) = LinuxCalls.system else {
                errno = ENFILE
                return -1
            }
            return real.eventfd(value, flags)
        }
        #expect(throws: TransportError.system(operation: "eventfd", address: nil, errno: ENFILE)) {
            _ = try EventLoopGroup.startLoops(3, calls: calls)
        }
        #expect(eventFDCalls.load(ordering: .relaxed) == 2, "stopped at the loop that failed")
    }

    @Test func missingSymbolIsATypedError() {
        typealias Nothing = @convention(c) () -> Void
        #expect(throws: TransportError.system(operation: "dlsym no_such_function_in_libc", address: nil, errno: ENOSYS)) {
            let _: Nothing = try LinuxCalls.symbol("no_such_function_in_libc")
        }
    }

    @Test func stoppedLoopEndsItsThread() async throws {
        let loop = try EventLoop(calls: LinuxCalls.system.get())
        // Running before it is stopped.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in loop.execute { done.resume() } }
        #expect(!loop.hasStopped)
        loop.stop()
        try await eventually("the loop's thread to end") { loop.hasStopped }
    }

    @Test func groupStartsTheRequestedLoops() throws {
        let group = try EventLoopGroup.start(threads: 2)
        #expect(group.loops.count == 2)
        #expect(group.next() !== group.next())
    }
}
