import Foundation

/// Protocol conformance runner: decodes or encodes test vectors given as JSON Lines and prints
/// one JSON line of results per input line.
let usage = """
    usage: conformance MODE FILE [--feed whole|bytewise]
    modes:
      amqp FILE [--feed whole|bytewise]   AMQP 0-9-1 frame streams {"id","hex"} -> decoded frames
      amqp-encode FILE                     AMQP 0-9-1 frames {"id","frames"} -> {"id","hex"}
    """

let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
let rest = Array(arguments.dropFirst())
do {
    switch mode {
    case "amqp": try AMQPConformance.decode(arguments: rest)
    case "amqp-encode": try AMQPConformance.encode(arguments: rest)
    default:
        throw ConformanceFailure.usage("unknown mode '\(mode)'\n\(usage)")
    }
} catch {
    FileHandle.standardError.write(Data("conformance: \(error)\n".utf8))
    exit(2)
}
