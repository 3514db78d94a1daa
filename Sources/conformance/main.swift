import Foundation

/// Protocol conformance runner: decodes or encodes test vectors given as JSON Lines and prints
/// one JSON line of results per input line.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else {
    FileHandle.standardError.write(Data((ConformanceModes.usage + "\n").utf8))
    exit(2)
}
do {
    for result in try ConformanceModes.run(mode, Array(arguments.dropFirst())) { VectorIO.emit(result) }
} catch {
    FileHandle.standardError.write(Data("conformance: \(error)\n".utf8))
    exit(2)
}
