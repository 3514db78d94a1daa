import Foundation
import Fuzzing
import Testing

/// Runs a CPU-bound fuzz pass on a thread of its own: seconds of work on the cooperative pool
/// would starve the tests that wait on sockets meanwhile.
func onOwnThread<Target: FuzzTarget>(_ runner: FuzzRunner<Target>) async throws -> FuzzSummary {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<FuzzSummary, FuzzFailure>, Never>) in
        Thread { continuation.resume(returning: Result { () throws(FuzzFailure) in try runner.run() }) }.start()
    }
    return try result.get()
}

/// A short seeded pass over each decoder, so `swift test` covers the fuzzing invariants; the full
/// runs are `scripts/conformance/fuzz.sh`. Serialized: one pass at a time is enough load for a small machine.
@Suite(.serialized) struct FuzzingTests {
    /// The repository's `Tests` folder, which holds the conformance vectors.
    static let testsDirectory = "/" + "\(#filePath)".split(separator: "/").dropLast(4).joined(separator: "/") + "/Tests"

    static func seeds(_ name: String) -> [[UInt8]] { VectorSeeds.load("\(testsDirectory)/Vectors/\(name).jsonl") }

    static func configuration() -> FuzzConfiguration {
        FuzzConfiguration(seed: 20_261_125, count: 3_000, maxResidentGrowth: nil)
    }

    /// A short run of `target`, which must have more than `minimumSeeds` seeds, passes and sees
    /// limit probes, values and typed errors.
    func passesShortRun<Target: FuzzTarget>(_ target: Target, minimumSeeds: Int) async throws {
        #expect(target.seeds.count > minimumSeeds)
        let summary = try await onOwnThread(FuzzRunner(target: target, configuration: Self.configuration()))
        #expect(summary.inputs == 3_000)
        #expect(summary.probes > 0 && summary.values > 0 && !summary.errorsByKind.isEmpty)
    }

    @Test func respDecoderPassesShortRun() async throws {
        try await passesShortRun(RESPFuzzTarget(seeds: Self.seeds("resp")), minimumSeeds: 10)
    }

    @Test func amqpFrameDecoderPassesShortRun() async throws {
        try await passesShortRun(AMQPFuzzTarget(seeds: Self.seeds("amqp")), minimumSeeds: 5)
    }

    @Test func httpRequestParserPassesShortRun() async throws {
        try await passesShortRun(HTTPFuzzTarget(seeds: Self.seeds("http")), minimumSeeds: 10)
    }

    @Test func webSocketFrameDecoderPassesShortRun() async throws {
        try await passesShortRun(WebSocketFuzzTarget(seeds: Self.seeds("ws")), minimumSeeds: 10)
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

/// The runner's checks must be able to fail: targets that break each invariant on purpose.
@Suite struct FuzzRunnerCheckTests {
    /// Wraps the RESP target and breaks one invariant.
    struct BrokenTarget: FuzzTarget {
        enum Flaw: Sendable { case dependsOnSplit, ignoresLimits, slow }
        let flaw: Flaw
        let base = RESPFuzzTarget(seeds: [])
        var name: String { "broken" }
        var seeds: [[UInt8]] { [] }
        var isTextual: Bool { true }

        func generate(using rng: inout SplitMix64, maxBytes: Int) -> [UInt8] { base.generate(using: &rng, maxBytes: maxBytes) }

        func probe(using rng: inout SplitMix64) -> (input: [UInt8], expectedError: String) {
            let probe = base.probe(using: &rng)
            return (probe.input, flaw == .ignoresLimits ? "noSuchError" : probe.expectedError)
        }

        func decode(_ chunks: [ArraySlice<UInt8>], asBuffers: Bool) -> DecodeOutcome<Int> {
            var outcome = DecodeOutcome<Int>()
            switch flaw {
            case .dependsOnSplit: outcome.values = [chunks.count]
            case .ignoresLimits: outcome.values = [0]
            case .slow:
                let end = ContinuousClock.now + .milliseconds(30)
                while ContinuousClock.now < end {}
            }
            return outcome
        }
    }

    static func run(_ flaw: BrokenTarget.Flaw, timeLimit: Duration = .seconds(1)) -> FuzzFailure? {
        let configuration = FuzzConfiguration(seed: 7, count: 200, timeLimit: timeLimit, maxResidentGrowth: nil)
        do {
            _ = try FuzzRunner(target: BrokenTarget(flaw: flaw), configuration: configuration).run()
            return nil
        } catch {
            return error
        }
    }

    @Test func fragmentationDependenceIsReported() throws {
        let failure = try #require(Self.run(.dependsOnSplit))
        #expect(failure.message.contains("fragmented feeding differs"))
        let index = try #require(failure.index)
        let runner = FuzzRunner(target: BrokenTarget(flaw: .dependsOnSplit),
                                configuration: FuzzConfiguration(seed: 7, count: 200, maxResidentGrowth: nil))
        #expect(failure.input == runner.makeCase(index).input)
        #expect(failure.description.contains("seed 7, input \(index)"))
    }

    @Test func unenforcedLimitIsReported() throws {
        let failure = try #require(Self.run(.ignoresLimits))
        #expect(failure.message.hasPrefix("probe input: limit not enforced: expected noSuchError"))
    }

    @Test func slowInputIsReported() throws {
        let failure = try #require(Self.run(.slow, timeLimit: .milliseconds(10)))
        #expect(failure.message.contains("over the 0.01 seconds limit"))
        #expect(failure.index == 0)
    }
}
