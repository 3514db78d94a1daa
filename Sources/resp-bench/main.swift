import Foundation

/// Benchmarks for the RESP module; figures go to standard output, one line per measurement.
let usage = """
    usage: resp-bench decode CORPUS [ROUNDS]
    """

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "decode" where arguments.count >= 2:
        try DecodeBenchmark.run(corpusPath: arguments[1], rounds: arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5)
    default:
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("resp-bench: \(error)\n".utf8))
    exit(1)
}
