/// A task scheduled on an `EventLoop` with `scheduleTask`, which `cancel()` withdraws.
public struct Scheduled: Sendable {
    let loop: EventLoop
    let id: UInt64

    /// Withdraws the task unless it has already started; calling it again does nothing.
    public func cancel() {
        loop.cancelTimer(id)
    }
}

/// The loop's monotonic nanoseconds for an instant of `ContinuousClock`, which on Linux may count
/// from another origin (boot time): only the distance from now is carried over.
func monotonicDeadline(_ instant: ContinuousClock.Instant) -> UInt64 {
    let remaining = ContinuousClock.now.duration(to: instant)
    guard remaining > .zero else { return monotonicNanoseconds() }
    return deadline(after: remaining) ?? .max
}
