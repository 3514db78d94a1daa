import Foundation
import RESP
import Transport

/// Benchmarks for the RESP module; figures go to standard output, one line per measurement.
let usage = """
    usage: resp-bench decode CORPUS [ROUNDS]
           resp-bench client URL REQUESTS connections N DEPTH [LOOPS]
           resp-bench client URL REQUESTS shared TASKS [LOOPS]
    LOOPS: event loop threads serving the connections (default: one per core)
    """

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "decode" where arguments.count >= 2:
        try DecodeBenchmark.run(corpusPath: arguments[1], rounds: arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5)
    case "client" where arguments.count >= 5:
        let url = arguments[1]
        let requests = Int(arguments[2]) ?? 100_000
        let count = arguments.count > 4 ? Int(arguments[4]) ?? 50 : 50
        let shared = arguments[3] == "shared"
        let shape: ClientBenchmark.Shape = shared
            ? .sharedConnection(tasks: count)
            : .connections(count, depth: arguments.count > 5 ? Int(arguments[5]) ?? 1 : 1)
        let loopsArgument = shared ? 5 : 6
        let group = arguments.count > loopsArgument ? try EventLoopGroup.start(threads: Int(arguments[loopsArgument]) ?? 1) : .shared
        try await ClientBenchmark.run(url: url, shape: shape, requests: requests, group: group)
    default:
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("resp-bench: \(error)\n".utf8))
    exit(1)
}
