#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A span's start read once from both clocks: OTLP wants wall-clock (Unix) times, and later
/// times of the span are the start plus the monotonic time elapsed, so a wall-clock step (NTP)
/// during the span cannot make it end before it started.
struct SpanClock: Sendable {
    let startUnixNano: UInt64
    let startMonotonicNano: UInt64

    static func now() -> SpanClock {
        SpanClock(startUnixNano: read(CLOCK_REALTIME), startMonotonicNano: read(CLOCK_MONOTONIC))
    }

    /// The Unix time now, as the start plus the monotonic time since.
    func unixNanoNow() -> UInt64 {
        let now = Self.read(CLOCK_MONOTONIC)
        return startUnixNano &+ (now >= startMonotonicNano ? now &- startMonotonicNano : 0)
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
