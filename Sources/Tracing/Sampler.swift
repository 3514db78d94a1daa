/// Decides whether a new span is recorded and exported, before it starts, from its parent and
/// its trace id: the samplers of the OpenTelemetry SDK specification, as chosen by
/// `OTEL_TRACES_SAMPLER`.
public indirect enum Sampler: Sendable, Hashable, CustomStringConvertible {
    /// Samples every span.
    case alwaysOn
    /// Samples no span.
    case alwaysOff
    /// Samples a share of traces, `ratio` from 0 to 1, decided from the trace id alone, so every
    /// service decides alike for the same trace and a higher ratio samples a superset.
    case traceIDRatio(Double)
    /// Follows the parent's sampled flag; spans without a parent are decided by `root`.
    case parentBased(root: Sampler)

    /// Whether a span in trace `traceID` with parent `parent` (nil for a root) is sampled.
    public func shouldSample(parent: SpanContext?, traceID: TraceID) -> Bool {
        switch self {
        case .alwaysOn:
            return true
        case .alwaysOff:
            return false
        case .traceIDRatio(let ratio):
            return Self.randomness(of: traceID) >= Self.rejectionThreshold(ratio: ratio)
        case .parentBased(let root):
            guard let parent, parent.isValid else { return root.shouldSample(parent: nil, traceID: traceID) }
            return parent.isSampled
        }
    }

    /// The trace's randomness: the low (rightmost) 56 bits of the trace id, which W3C Trace
    /// Context level 2 requires to be random and OpenTelemetry's consistent probability
    /// sampling compares with the rejection threshold.
    static func randomness(of traceID: TraceID) -> UInt64 {
        traceID.low & (1 << 56 - 1)
    }

    /// The rejection threshold of OpenTelemetry's consistent probability sampling:
    /// `(1 − ratio) × 2^56`, so a span is kept when its randomness is at least the threshold.
    /// A ratio of 0 (or less, or NaN) gives 2^56, which no randomness reaches.
    static func rejectionThreshold(ratio: Double) -> UInt64 {
        guard ratio > 0 else { return 1 << 56 }
        guard ratio < 1 else { return 0 }
        // ratio × 2^56 is exact in binary floating point; rounding it gives the kept share.
        return 1 << 56 - UInt64((ratio * 0x1p56).rounded())
    }

    /// The sampler's name as the specification spells its description.
    public var description: String {
        switch self {
        case .alwaysOn: "AlwaysOnSampler"
        case .alwaysOff: "AlwaysOffSampler"
        case .traceIDRatio(let ratio): "TraceIdRatioBased{\(ratio)}"
        case .parentBased(let root): "ParentBased{root=\(root)}"
        }
    }
}
