import CommandLineOptions
import Foundation

/// Protocol conformance runner: decodes or encodes test vectors given as JSON Lines and prints
/// one JSON line of results per input line.
let syntax = CommandSyntax(
    "conformance",
    summary: "decodes or encodes protocol test vectors given as JSON Lines, one JSON result line per vector",
    arguments: [
        .init("MODE", ConformanceModes.modes.map(\.name).joined(separator: ", ") + " (below)"),
        .init("FILE", "the vectors, one JSON object per line"),
    ],
    options: [.value("feed", "HOW", default: "whole", "whole, or bytewise: one byte per call (decoding modes only)")],
    notes: "modes:\n" + ConformanceModes.modes.map { "  \($0.name.padding(toLength: 12, withPad: " ", startingAt: 0))  \($0.help)" }.joined(separator: "\n")
)
let parsed = syntax.parseOrExit()
let (mode, file) = (parsed.arguments[0], parsed.arguments[1])
let feed: String
do throws(CommandLineError) {
    guard ConformanceModes.modes.contains(where: { $0.name == mode }) else {
        throw CommandLineError("unknown MODE '\(mode)': expected \(ConformanceModes.modes.map(\.name).joined(separator: ", "))")
    }
    feed = try parsed.choice("feed", ["whole", "bytewise"])
    guard feed == "whole" || ConformanceModes.decodingModes.contains(mode) else { throw CommandLineError("--feed applies to decoding modes only") }
} catch {
    syntax.fail(error)
}
do {
    for result in try ConformanceModes.run(mode, [file, "--feed", feed]) { VectorIO.emit(result) }
} catch {
    FileHandle.standardError.write(Data("conformance: \(error)\n".utf8))
    exit(2)
}
