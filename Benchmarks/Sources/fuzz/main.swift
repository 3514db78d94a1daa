import CommandLineOptions
import Foundation
import Fuzzing
import Synchronization

/// Seeded, reproducible fuzzing of the RESP, AMQP, HTTP and WebSocket decoders.
let syntax = CommandSyntax(
    "fuzz",
    summary: "seeded, reproducible fuzzing of the RESP, AMQP 0-9-1 frame, HTTP request and WebSocket frame decoders",
    arguments: [.init("TARGET", "resp, amqp, http, ws, or all", repeating: true)],
    options: [
        .value("seed", "N", default: "1", "run seed; input i of a run depends only on the seed and i"),
        .value("count", "N", default: "100000", "inputs per target"),
        .value("max-bytes", "N", default: "4096", "largest generated or mutated input"),
        .value("only", "INDEX", "check that one input only (reproduces a reported failure)"),
        .value("vectors", "DIR", default: "Tests/Vectors", "conformance vectors used as mutation seeds"),
        .value("out", "DIR", default: "fuzz-failures", "where failing inputs are written"),
    ])

/// The run's settings, read from the command line.
struct Options {
    var targets: [String]
    var seed: UInt64
    var count: Int
    var maxBytes: Int
    var only: Int?
    var vectors: String
    var out: String
}

func parseOptions() -> Options {
    let parsed = syntax.parseOrExit()
    do throws(CommandLineError) {
        var targets: [String] = []
        for target in parsed.arguments {
            switch target {
            case "resp", "amqp", "http", "ws": targets.append(target)
            case "all": targets += ["resp", "amqp", "http", "ws"]
            default: throw CommandLineError("unknown TARGET '\(target)': expected resp, amqp, http, ws or all")
            }
        }
        return Options(targets: targets, seed: UInt64(try parsed.int("seed", in: 0...Int.max)), count: try parsed.int("count", in: 0...Int.max),
                       maxBytes: try parsed.int("max-bytes", in: 1...Int.max), only: try parsed.optionalInt("only", in: 0...Int.max),
                       vectors: try parsed.string("vectors"), out: try parsed.string("out"))
    } catch {
        syntax.fail(error)
    }
}

/// Writes the failing input and exits non-zero.
func report(_ failure: FuzzFailure, outDirectory: String) -> Never {
    var message = "FAIL \(failure)\n"
    if let index = failure.index {
        let path = "\(outDirectory)/\(failure.target)-seed\(failure.seed)-input\(index).bin"
        try? FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true)
        if FileManager.default.createFile(atPath: path, contents: Data(failure.input)) {
            message += "  written to \(path)\n"
        }
        message += "  reproduce: fuzz \(failure.target) --seed \(failure.seed) --only \(index)\n"
    }
    FileHandle.standardError.write(Data(message.utf8))
    exit(1)
}

/// The input being decoded, watched by a thread that catches hangs and by the trap handler.
/// Atomics because the watchdog thread reads what the fuzzing thread writes.
let currentIndex = Atomic<Int>(-1)
let currentStart = Atomic<UInt64>(0)

/// Regenerates input `index` of the running target for a hang or crash report. Written once per
/// target before any input runs and read only when reporting, which is why it needs no lock.
nonisolated(unsafe) var reproduce: (@Sendable (Int) -> FuzzFailure)?

func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Reports the input that was running when the decoder trapped. Not async-signal-safe, but the
/// process is going down anyway and the report is what matters.
func installTrapHandler(outDirectory: String) {
    crashDirectory = strdup(outDirectory)
    for signalNumber in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
        signal(signalNumber) { signalNumber in
            let index = currentIndex.load(ordering: .relaxed)
            guard index >= 0, let reproduce, let crashDirectory else { _exit(128 + signalNumber) }
            var failure = reproduce(index)
            failure.message = "decoder crashed with signal \(signalNumber)"
            report(failure, outDirectory: String(cString: crashDirectory))
        }
    }
}

/// Where the trap handler writes the input; a C string set once before any input runs.
nonisolated(unsafe) var crashDirectory: UnsafeMutablePointer<CChar>?

/// Polls the running input's start time and reports an input still running after `limit`.
func startWatchdog(limit: Duration, outDirectory: String) {
    let limitNanoseconds = UInt64(limit.components.seconds) * 1_000_000_000 + UInt64(limit.components.attoseconds / 1_000_000_000)
    let thread = Thread {
        while true {
            Thread.sleep(forTimeInterval: 0.1)
            let index = currentIndex.load(ordering: .acquiring)
            let start = currentStart.load(ordering: .acquiring)
            guard index >= 0, start > 0, monotonicNanoseconds() - start > limitNanoseconds, let reproduce else { continue }
            // Re-check: the input may have finished between the two loads.
            guard currentIndex.load(ordering: .acquiring) == index, currentStart.load(ordering: .acquiring) == start else { continue }
            var failure = reproduce(index)
            failure.message = "input still decoding after \(limit) (hang)"
            report(failure, outDirectory: outDirectory)
        }
    }
    thread.start()
}

func run<Target: FuzzTarget>(_ target: Target, _ options: Options) {
    let configuration = FuzzConfiguration(seed: options.seed, count: options.count, maxBytes: options.maxBytes)
    let runner = FuzzRunner(target: target, configuration: configuration)
    reproduce = { index in
        FuzzFailure(target: target.name, seed: options.seed, index: index, input: runner.makeCase(index).input, message: "")
    }
    do {
        if let only = options.only {
            let fuzzCase = try runner.replay(only)
            print("\(target.name): input \(only) (\(fuzzCase.origin.rawValue), \(fuzzCase.input.count) bytes) passes every check")
            return
        }
        let summary = try runner.run { index in
            currentStart.store(monotonicNanoseconds(), ordering: .releasing)
            currentIndex.store(index, ordering: .releasing)
        }
        currentIndex.store(-1, ordering: .releasing)
        print(summary)
    } catch {
        report(error, outDirectory: options.out)
    }
}

let options = parseOptions()
installTrapHandler(outDirectory: options.out)
// Twice the per-input limit: inputs that finish late are reported by the runner itself.
startWatchdog(limit: .seconds(2), outDirectory: options.out)
print("fuzz: seed \(options.seed), \(options.count) inputs per target, inputs up to \(options.maxBytes) bytes")
for name in options.targets {
    let seeds = VectorSeeds.load("\(options.vectors)/\(name).jsonl")
    switch name {
    case "resp": run(RESPFuzzTarget(seeds: seeds), options)
    case "amqp": run(AMQPFuzzTarget(seeds: seeds), options)
    case "ws": run(WebSocketFuzzTarget(seeds: seeds), options)
    default: run(HTTPFuzzTarget(seeds: seeds), options)
    }
}
