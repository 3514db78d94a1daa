import Foundation

/// Protocol conformance runner: decodes or encodes test vectors given as JSON Lines and prints
/// one JSON line of results per input line.
let usage = """
    usage: conformance MODE FILE [--feed whole|bytewise]
    modes:
      resp FILE [--feed whole|bytewise]   RESP2 replies given as {"id","hex"} lines -> decoded values
      resp-encode FILE                    commands given as {"id","args":[hex...]} lines -> {"id","hex"}
      amqp FILE [--feed whole|bytewise]   AMQP 0-9-1 frame streams given as {"id","hex"} lines -> decoded frames
      amqp-encode FILE                    AMQP 0-9-1 frames given as {"id","frames"} lines -> {"id","hex"}
      http FILE [--feed whole|bytewise]   HTTP/1.1 request streams given as {"id","hex"} lines -> parsed requests
    """

let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
let rest = Array(arguments.dropFirst())
do {
    switch mode {
    case "http": try HTTPConformance.run(rest)
    case "resp": try RESPConformance.decode(rest)
    case "resp-encode": try RESPConformance.encode(rest)
    case "amqp": try AMQPConformance.decode(arguments: rest)
    case "amqp-encode": try AMQPConformance.encode(arguments: rest)
    default:
        throw ConformanceFailure.usage("unknown mode '\(mode)'\n\(usage)")
    }
} catch {
    FileHandle.standardError.write(Data("conformance: \(error)\n".utf8))
    exit(2)
}
