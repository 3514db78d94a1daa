/// A small seeded PRNG (SplitMix64), so every fuzz input is a pure function of seed and index.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// The generator for input `index` of a run seeded with `seed`: independent of every other
    /// input, so one input can be regenerated without replaying the run.
    public init(seed: UInt64, index: Int) {
        var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15))
        state = mixer.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    /// A random element of a non-empty collection.
    mutating func pick<C: RandomAccessCollection>(_ items: C) -> C.Element { items.randomElement(using: &self)! }

    /// A small size, usually tiny and rarely up to `maximum`, as real traffic is.
    mutating func size(upTo maximum: Int) -> Int {
        guard maximum > 0 else { return 0 }
        switch int(0...9) {
        case 0...5: return int(0...min(maximum, 8))
        case 6...8: return int(0...min(maximum, 128))
        default: return int(0...maximum)
        }
    }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}
