import Fuzzing
import Testing

/// A short seeded pass over each decoder, so `swift test` covers the fuzzing invariants; the full
/// runs are `scripts/fuzz.sh`.
@Suite struct FuzzingTests {
    /// The `Tests` directory, which holds the conformance vectors.
    static let testsDirectory = "/" + "\(#filePath)".split(separator: "/").dropLast(2).joined(separator: "/")

    static func seeds(_ name: String) -> [[UInt8]] { VectorSeeds.load("\(testsDirectory)/Vectors/\(name).jsonl") }

    static func configuration() -> FuzzConfiguration {
        FuzzConfiguration(seed: 20_261_125, count: 3_000, maxResidentGrowth: nil)
    }

    @Test func respDecoderPassesShortRun() throws {
        let target = RESPFuzzTarget(seeds: Self.seeds("resp"))
        #expect(target.seeds.count > 10)
        let summary = try FuzzRunner(target: target, configuration: Self.configuration()).run()
        #expect(summary.inputs == 3_000)
        #expect(summary.probes > 0 && summary.values > 0 && !summary.errorsByKind.isEmpty)
    }

    @Test func amqpFrameDecoderPassesShortRun() throws {
        let target = AMQPFuzzTarget(seeds: Self.seeds("amqp"))
        #expect(target.seeds.count > 5)
        let summary = try FuzzRunner(target: target, configuration: Self.configuration()).run()
        #expect(summary.inputs == 3_000)
        #expect(summary.probes > 0 && summary.values > 0 && !summary.errorsByKind.isEmpty)
    }

    @Test func httpRequestParserPassesShortRun() throws {
        let target = HTTPFuzzTarget(seeds: Self.seeds("http"))
        #expect(target.seeds.count > 10)
        let summary = try FuzzRunner(target: target, configuration: Self.configuration()).run()
        #expect(summary.inputs == 3_000)
        #expect(summary.probes > 0 && summary.values > 0 && !summary.errorsByKind.isEmpty)
    }

    /// Reproducibility: the same seed and index always give the same input, other seeds differ.
    @Test func inputsDependOnlyOnSeedAndIndex() {
        let target = RESPFuzzTarget(seeds: Self.seeds("resp"))
        let runner = FuzzRunner(target: target, configuration: Self.configuration())
        let again = FuzzRunner(target: target, configuration: Self.configuration())
        var other = Self.configuration()
        other.seed += 1
        let different = FuzzRunner(target: target, configuration: other)
        let indices = [0, 1, 17, 2_999]
        #expect(indices.map { runner.makeCase($0).input } == indices.map { again.makeCase($0).input })
        #expect(indices.map { runner.makeCase($0).input } != indices.map { different.makeCase($0).input })
    }
}
