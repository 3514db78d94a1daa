import Foundation

/// Protocol conformance runner: decodes or encodes test vectors given as JSON Lines and prints
/// one JSON line of results per input line.
let usage = """
    usage: conformance MODE FILE [--feed whole|bytewise]
    modes:
      resp FILE [--feed whole|bytewise]  decode RESP2 replies given as {"id","hex"} lines
      resp-encode FILE                   encode commands given as {"id","args":[hex...]} lines
    """

let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
let rest = Array(arguments.dropFirst())
do {
    switch mode {
    case "resp": try RESPConformance.decode(rest)
    case "resp-encode": try RESPConformance.encode(rest)
    default:
        throw ConformanceFailure.usage("unknown mode '\(mode)'\n\(usage)")
    }
} catch {
    FileHandle.standardError.write(Data("conformance: \(error)\n".utf8))
    exit(2)
}
