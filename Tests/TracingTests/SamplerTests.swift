import Testing
@testable import Tracing

@Suite struct SamplerTests {
    /// A trace id whose randomness (low 56 bits) is `randomness`, with other bits set to show
    /// they are not read.
    private func traceID(randomness: UInt64) -> TraceID {
        TraceID(high: 0xFFFF_FFFF_FFFF_FFFF, low: 0xAB00_0000_0000_0000 | randomness)
    }

    @Test func theRatioIsComparedWithTheTraceIDsLow56Bits() {
        // (1 - 0.25) * 2^56 = 0xc0000000000000: kept from that randomness up.
        #expect(Sampler.rejectionThreshold(ratio: 0.25) == 0xC0_0000_0000_0000)
        #expect(Sampler.rejectionThreshold(ratio: 0.01) == 0xFD_70A3_D70A_3D71)
        let sampler = Sampler.traceIDRatio(0.25)
        #expect(!sampler.shouldSample(parent: nil, traceID: traceID(randomness: 0xBF_FFFF_FFFF_FFFF)))
        #expect(sampler.shouldSample(parent: nil, traceID: traceID(randomness: 0xC0_0000_0000_0000)))
        #expect(sampler.shouldSample(parent: nil, traceID: traceID(randomness: 0xFF_FFFF_FFFF_FFFF)))
        #expect(!Sampler.traceIDRatio(0).shouldSample(parent: nil, traceID: traceID(randomness: 0xFF_FFFF_FFFF_FFFF)))
        #expect(Sampler.traceIDRatio(1).shouldSample(parent: nil, traceID: traceID(randomness: 0)))
    }

    @Test func aHigherRatioSamplesASupersetAndTheShareMatches() {
        var generator = SystemRandomNumberGenerator()
        let ids = (0..<20_000).map { _ in TraceID.random(using: &generator) }
        let ratios = [0.0, 0.01, 0.1, 0.5, 0.9, 1.0]
        var previous = Set<TraceID>()
        for ratio in ratios {
            let kept = Set(ids.filter { Sampler.traceIDRatio(ratio).shouldSample(parent: nil, traceID: $0) })
            #expect(previous.isSubset(of: kept), "ratio \(ratio) keeps what lower ratios kept")
            let share = Double(kept.count) / Double(ids.count)
            #expect(abs(share - ratio) < 0.02, "ratio \(ratio) kept \(share)")
            previous = kept
        }
    }

    @Test func parentBasedFollowsTheParent() throws {
        let sampler = Sampler.parentBased(root: .traceIDRatio(0))
        let id = TraceID(high: 1, low: 1)
        let sampledParent = SpanContext(traceID: id, spanID: SpanID(1), flags: .sampled, isRemote: true)
        let unsampledParent = SpanContext(traceID: id, spanID: SpanID(1), flags: [], isRemote: true)
        #expect(sampler.shouldSample(parent: sampledParent, traceID: id))
        #expect(!Sampler.parentBased(root: .alwaysOn).shouldSample(parent: unsampledParent, traceID: id))
        #expect(!sampler.shouldSample(parent: nil, traceID: id), "no parent: the root sampler decides")
        #expect(Sampler.parentBased(root: .alwaysOn).shouldSample(parent: .invalid, traceID: id), "an invalid parent is no parent")
        #expect(!Sampler.traceIDRatio(0).shouldSample(parent: sampledParent, traceID: id), "traceidratio ignores the parent")
        #expect(Sampler.alwaysOn.shouldSample(parent: unsampledParent, traceID: id))
        #expect(!Sampler.alwaysOff.shouldSample(parent: sampledParent, traceID: id))
    }

    @Test func descriptionsFollowTheSpecification() {
        #expect(Sampler.alwaysOn.description == "AlwaysOnSampler")
        #expect(Sampler.alwaysOff.description == "AlwaysOffSampler")
        #expect(Sampler.parentBased(root: .traceIDRatio(0.5)).description == "ParentBased{root=TraceIdRatioBased{0.5}}")
    }
}
