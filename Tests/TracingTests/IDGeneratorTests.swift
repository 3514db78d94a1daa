import Testing
@testable import Tracing

@Suite struct IDGeneratorTests {
    @Test func idsDoNotRepeatAndAreNeverZero() {
        // Seeded so that the counter wraps through zero on the way: the draws still differ.
        let generator = IDGenerator(seed: 0 &- 0x9E37_79B9_7F4A_7C15 &* 500)
        var spans = Set<SpanID>()
        var traces = Set<TraceID>()
        for _ in 0..<10_000 {
            spans.insert(generator.spanID())
            traces.insert(generator.traceID())
        }
        #expect(spans.count == 10_000 && !spans.contains(.invalid))
        #expect(traces.count == 10_000 && !traces.contains(.invalid))
    }

    @Test func generatorsSeededFromTheSystemDiffer() {
        let first = IDGenerator(), second = IDGenerator()
        #expect((0..<4).map { _ in first.next() } != (0..<4).map { _ in second.next() })
    }

    /// Sampling reads the low 56 bits of a trace id as uniform randomness: a ratio keeps its share
    /// of consecutive ids (a fixed seed, so the count is the same every run).
    @Test func traceIDRatioSamplingKeepsItsShareOfGeneratedIDs() {
        let generator = IDGenerator(seed: 42)
        let sampler = Sampler.traceIDRatio(0.25)
        let kept = (0..<100_000).filter { _ in sampler.shouldSample(parent: nil, traceID: generator.traceID()) }.count
        #expect((24_000...26_000).contains(kept), "kept \(kept) of 100000")
    }

    @Test func tracersDrawDistinctIDsForRootsAndChildren() {
        let tracer = Tracer(sampler: .alwaysOff, processor: nil)
        let roots = (0..<1000).map { _ in tracer.startSpan("root", parent: nil).context }
        #expect(Set(roots.map(\.traceID)).count == 1000 && Set(roots.map(\.spanID)).count == 1000)
        let children = (0..<1000).map { _ in tracer.startSpan("child", parent: roots[0]).context }
        #expect(children.allSatisfy { $0.traceID == roots[0].traceID } && Set(children.map(\.spanID)).count == 1000)
    }
}
