import Synchronization

/// Draws the ids of a tracer's spans and traces: SplitMix64 over a 64-bit counter seeded once
/// from `SystemRandomNumberGenerator`, so an id costs an atomic add and a few multiplications
/// instead of a `getrandom` call per id (three per root span).
///
/// SplitMix64's output is a bijection of the counter, which never repeats within 2^64 draws: no
/// id of a process comes twice, and the outputs pass the usual statistical test batteries, so
/// the low 56 bits of a trace id are as good as random for sampling (W3C Trace Context level 2).
/// Ids are not secrets (they travel in headers and logs), so a generator that someone seeing
/// many ids could predict is no weakness; what matters is that processes do not collide, which
/// the seed from the system generator sees to.
final class IDGenerator: Sendable {
    /// Lock-free: every request of every loop thread draws ids, and one relaxed add is cheaper
    /// than a lock or than a generator per thread.
    private let counter: Atomic<UInt64>

    init(seed: UInt64) {
        counter = Atomic(seed)
    }

    /// A generator seeded from the system's random number generator.
    convenience init() {
        var system = SystemRandomNumberGenerator()
        self.init(seed: system.next())
    }

    /// The next 64 random-looking bits.
    func next() -> UInt64 {
        var z = counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A new trace id; never all zeros.
    func traceID() -> TraceID {
        while true {
            let id = TraceID(high: next(), low: next())
            if id.isValid { return id }
        }
    }

    /// A new span id; never all zeros.
    func spanID() -> SpanID {
        while true {
            let value = next()
            if value != 0 { return SpanID(value) }
        }
    }
}
