import CommandLineOptions
import Foundation
import RESP
import Transport

/// Benchmarks for the RESP module; figures go to standard output, one line per measurement.
let syntax = CommandSyntax(
    "resp-bench", summary: "the RESP decoder's throughput, and the clients' against a Redis server or cluster",
    subcommands: [
        CommandSyntax("resp-bench decode", summary: "decodes a corpus of replies in 16 KiB chunks",
                      arguments: [.init("CORPUS", "the replies, back to back (Benchmarks/corpus/resp-replies.py writes one)"),
                                  .init("ROUNDS", "passes over the corpus (default 5)", optional: true)]),
        CommandSyntax("resp-bench client", summary: "SET/GET against the server at URL, in one of two shapes",
                      arguments: [.init("URL", "the server, redis://host:port"), .init("REQUESTS", "requests in all"),
                                  .init("SHAPE", "connections (N connections, DEPTH commands in flight on each) or shared (TASKS on one connection)"),
                                  .init("N|TASKS", "connections, or tasks sharing one"),
                                  .init("DEPTH", "commands in flight per connection (connections only)", optional: true),
                                  .init("LOOPS", "event loop threads serving the connections (default: one per core)", optional: true)]),
        CommandSyntax("resp-bench cluster", summary: "SET/GET through the Cluster client, shaped like redis-benchmark --cluster",
                      arguments: [.init("URL", "the cluster, redis-cluster://host:port[,host:port...]"), .init("REQUESTS", "requests in all"),
                                  .init("CONNECTIONS", "tasks, shared out over the masters, and connections in all"),
                                  .init("DEPTH", "commands per batch, each batch on one key (default 1)", optional: true),
                                  .init("LOOPS", "event loop threads serving the connections (default: one per core)", optional: true)]),
    ])

let parsed = syntax.parseOrExit()
let arguments = parsed.arguments
do {
    if parsed.subcommand == "decode" {
        try DecodeBenchmark.run(corpusPath: arguments[0], rounds: try parsed.intArgument(1, default: 5, in: 1...Int.max))
    } else if parsed.subcommand == "cluster" {
        let loops = try parsed.intArgument(4, default: 0, in: 1...256)
        try await ClusterBenchmark.run(
            url: arguments[0], connections: try parsed.intArgument(2, default: 0, in: 1...100_000),
            depth: try parsed.intArgument(3, default: 1, in: 1...100_000), requests: try parsed.intArgument(1, default: 0, in: 1...Int.max),
            group: loops > 0 ? try EventLoopGroup.start(threads: loops) : .shared)
    } else {
        let requests = try parsed.intArgument(1, default: 0, in: 1...Int.max)
        let count = try parsed.intArgument(3, default: 0, in: 1...100_000)
        let shape: ClientBenchmark.Shape
        let loopsArgument: Int
        switch arguments[2] {
        case "shared": (shape, loopsArgument) = (.sharedConnection(tasks: count), 4)
        case "connections": (shape, loopsArgument) = (.connections(count, depth: try parsed.intArgument(4, default: 1, in: 1...100_000)), 5)
        default: parsed.syntax.fail(CommandLineError("SHAPE is connections or shared, not '\(arguments[2])'"))
        }
        guard arguments.count <= loopsArgument + 1 else { parsed.syntax.fail(CommandLineError("unexpected argument '\(arguments[loopsArgument + 1])'")) }
        let loops = try parsed.intArgument(loopsArgument, default: 0, in: 1...256)
        let group = loops > 0 ? try EventLoopGroup.start(threads: loops) : .shared
        try await ClientBenchmark.run(url: arguments[0], shape: shape, requests: requests, group: group)
    }
} catch let error as CommandLineError {
    parsed.syntax.fail(error)
} catch {
    FileHandle.standardError.write(Data("resp-bench: \(error)\n".utf8))
    exit(1)
}
