import Foundation

/// What a run was asked to do.
public struct FuzzConfiguration: Sendable {
    public var seed: UInt64
    public var count: Int
    /// Largest input generated or mutated.
    public var maxBytes: Int
    /// Longest time one input (all its feedings) may take before it counts as a hang.
    public var timeLimit: Duration
    /// Largest growth of the resident set from the first tenth of the run to its end; nil skips
    /// the check (in a test process other tests allocate concurrently).
    public var maxResidentGrowth: Int?

    public init(seed: UInt64, count: Int, maxBytes: Int = 4096, timeLimit: Duration = .seconds(1),
                maxResidentGrowth: Int? = 64 << 20) {
        self.seed = seed
        self.count = count
        self.maxBytes = maxBytes
        self.timeLimit = timeLimit
        self.maxResidentGrowth = maxResidentGrowth
    }
}

/// One input of a run, reproducible from the seed and its index.
public struct FuzzCase: Sendable {
    public enum Origin: String, Sendable { case generated, mutated, probe }
    public var input: [UInt8]
    public var origin: Origin
    /// For a probe, the error case the decoder must end in.
    public var expectedError: String?
}

/// A broken invariant, with what it takes to reproduce it.
public struct FuzzFailure: Error, CustomStringConvertible {
    public var target: String
    public var seed: UInt64
    /// The index of the input, or nil for a failure of the run as a whole (memory growth).
    public var index: Int?
    public var input: [UInt8]
    public var message: String

    public init(target: String, seed: UInt64, index: Int?, input: [UInt8], message: String) {
        self.target = target
        self.seed = seed
        self.index = index
        self.input = input
        self.message = message
    }

    public var description: String {
        guard let index else { return "\(target): \(message) (seed \(seed))" }
        let shown = input.prefix(4096)
        let hex = shown.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        return "\(target): \(message)\n  seed \(seed), input \(index) (\(input.count) bytes)\n  hex \(hex)\(shown.count < input.count ? "..." : "")"
    }
}

/// What a run saw.
public struct FuzzSummary: Sendable, CustomStringConvertible {
    public var target: String
    public var inputs = 0
    public var bytes = 0
    public var values = 0
    public var generated = 0
    public var mutated = 0
    public var probes = 0
    /// Inputs that ended with bytes of an unfinished value.
    public var partial = 0
    public var errorsByKind: [String: Int] = [:]
    public var elapsed: Duration = .zero
    public var slowest: Duration = .zero
    public var slowestIndex = 0
    public var residentGrowth: Int?

    public var description: String {
        let tenths = elapsed.components.seconds * 10 + elapsed.components.attoseconds / 100_000_000_000_000_000
        let errors = errorsByKind.values.reduce(0, +)
        var lines = [
            "\(target): \(inputs) inputs (\(generated) generated, \(mutated) mutated, \(probes) limit probes), "
                + "\(bytes) bytes, \(tenths / 10).\(tenths % 10) s",
            "  \(values) values, \(errors) typed errors, \(partial) ended mid-value; slowest input \(slowest) (#\(slowestIndex))"
                + (residentGrowth.map { ", RSS growth \($0 >> 10) KiB" } ?? ""),
        ]
        for (kind, count) in errorsByKind.sorted(by: { $0.value > $1.value }) {
            lines.append("    \(kind): \(count)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Runs a target over generated, mutated and limit-probing inputs, checking every invariant.
public struct FuzzRunner<Target: FuzzTarget>: Sendable {
    public let target: Target
    public let configuration: FuzzConfiguration
    /// Mutation sources: the target's seeds plus generated inputs.
    private let corpus: [[UInt8]]
    private let mutator: Mutator

    public init(target: Target, configuration: FuzzConfiguration) {
        self.target = target
        self.configuration = configuration
        var rng = SplitMix64(seed: configuration.seed ^ 0xC0FF_EE00)
        corpus = target.seeds + (0..<256).map { _ in target.generate(using: &rng, maxBytes: configuration.maxBytes) }
        mutator = Mutator(textual: target.isTextual)
    }

    /// Input `index` of the run: a pure function of the seed and the index.
    public func makeCase(_ index: Int) -> FuzzCase {
        var rng = SplitMix64(seed: configuration.seed, index: index)
        switch rng.int(0...99) {
        case 0..<35:
            return FuzzCase(input: target.generate(using: &rng, maxBytes: configuration.maxBytes), origin: .generated)
        case 35..<40:
            let probe = target.probe(using: &rng)
            return FuzzCase(input: probe.input, origin: .probe, expectedError: probe.expectedError)
        default:
            let base = rng.chance(50) ? rng.pick(corpus) : target.generate(using: &rng, maxBytes: configuration.maxBytes)
            let input = mutator.mutate(base, other: rng.pick(corpus), using: &rng, maxBytes: configuration.maxBytes)
            return FuzzCase(input: input, origin: .mutated)
        }
    }

    /// Runs the configured inputs; `willRun` is called before each with its index (for a watchdog).
    public func run(willRun: (Int) -> Void = { _ in }) throws(FuzzFailure) -> FuzzSummary {
        var summary = FuzzSummary(target: target.name)
        let clock = ContinuousClock()
        let start = clock.now
        var baseline: Int?
        for index in 0..<configuration.count {
            if index == configuration.count / 10 { baseline = Self.residentBytes() }
            willRun(index)
            let fuzzCase = makeCase(index)
            let began = clock.now
            let outcome = try check(fuzzCase, index: index)
            let took = clock.now - began
            guard took <= configuration.timeLimit else {
                throw failure(index, fuzzCase, "decoding took \(took), over the \(configuration.timeLimit) limit")
            }
            if took > summary.slowest {
                summary.slowest = took
                summary.slowestIndex = index
            }
            summary.inputs += 1
            summary.bytes += fuzzCase.input.count
            summary.values += outcome.values.count
            if outcome.partial { summary.partial += 1 }
            if let kind = outcome.errorKind { summary.errorsByKind[kind, default: 0] += 1 }
            switch fuzzCase.origin {
            case .generated: summary.generated += 1
            case .mutated: summary.mutated += 1
            case .probe: summary.probes += 1
            }
        }
        summary.elapsed = clock.now - start
        if let limit = configuration.maxResidentGrowth, let baseline, let now = Self.residentBytes() {
            let growth = now - baseline
            summary.residentGrowth = growth
            guard growth <= limit else {
                throw FuzzFailure(target: target.name, seed: configuration.seed, index: nil, input: [],
                                  message: "resident memory grew by \(growth >> 10) KiB, over \(limit >> 10) KiB")
            }
        }
        return summary
    }

    /// Checks input `index` alone, to reproduce a reported failure.
    public func replay(_ index: Int) throws(FuzzFailure) -> FuzzCase {
        let fuzzCase = makeCase(index)
        _ = try check(fuzzCase, index: index)
        return fuzzCase
    }

    /// Decodes one input whole (copied in), byte by byte or in random pieces (copied in), and in
    /// random pieces handed over as buffers, and checks the invariants.
    func check(_ fuzzCase: FuzzCase, index: Int) throws(FuzzFailure) -> DecodeOutcome<Target.Value> {
        let input = fuzzCase.input
        let whole = target.decode([input[...]], asBuffers: false)
        if let violation = whole.violation { throw failure(index, fuzzCase, violation + " (fed whole)") }
        if fuzzCase.origin == .generated, let error = whole.error {
            throw failure(index, fuzzCase, "valid input rejected: \(error)")
        }
        // An offset may equal the length: a rule checked once a section ends (a missing Host).
        if let offset = whole.errorOffset, !(0...input.count).contains(offset) {
            throw failure(index, fuzzCase, "error offset \(offset) outside the \(input.count)-byte input: \(whole.error ?? "")")
        }
        if let expected = fuzzCase.expectedError, whole.errorKind != expected {
            throw failure(index, fuzzCase, "limit not enforced: expected \(expected), got \(whole.error ?? "no error")")
        }
        var rng = SplitMix64(seed: configuration.seed ^ 0xF4A6_0000, index: index)
        for feeding in 0..<2 {
            let chunks = Self.fragments(of: input, bytewise: feeding == 0 && input.count <= 512, using: &rng)
            let split = target.decode(chunks, asBuffers: feeding == 1)
            if let violation = split.violation { throw failure(index, fuzzCase, violation + " (fed in \(chunks.count) pieces\(feeding == 1 ? " as buffers" : ""))") }
            guard split == whole else {
                let sizes = chunks.map { String($0.count) }.joined(separator: ",")
                throw failure(index, fuzzCase, """
                    fragmented feeding\(feeding == 1 ? " (as buffers)" : "") differs from whole: whole gave \(whole.values.count) values, \
                    error \(whole.error ?? "none"), partial \(whole.partial); pieces [\(sizes)] gave \
                    \(split.values.count) values, error \(split.error ?? "none"), partial \(split.partial)
                    """)
            }
        }
        return whole
    }

    /// Splits `input` byte by byte, or into random pieces of mostly small sizes.
    static func fragments(of input: [UInt8], bytewise: Bool, using rng: inout SplitMix64) -> [ArraySlice<UInt8>] {
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < input.count {
            let length = bytewise ? 1 : rng.size(upTo: 64) + 1
            let end = min(input.count, start + length)
            chunks.append(input[start..<end])
            start = end
        }
        return chunks
    }

    private func failure(_ index: Int, _ fuzzCase: FuzzCase, _ message: String) -> FuzzFailure {
        FuzzFailure(target: target.name, seed: configuration.seed, index: index, input: fuzzCase.input,
                    message: "\(fuzzCase.origin.rawValue) input: \(message)")
    }

    /// The resident set size from /proc, or nil where it is not available.
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * sysconf(Int32(_SC_PAGESIZE))
    }
}
