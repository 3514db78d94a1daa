import CommandLineOptions
import Transport

/// Idle keep-alive capacity of the HTTP server: one process serves, another holds thousands of
/// idle keep-alive connections to it while a few more keep sending requests, and reports the
/// server's resident memory per idle connection and the latency of the requests served meanwhile.
/// Both modes raise the open-file limit to its hard limit first: every socket is a descriptor.
let syntax = CommandSyntax(
    "http-idle-bench", summary: "idle keep-alive capacity of the HTTP server: resident memory per idle connection, latency meanwhile",
    subcommands: [
        CommandSyntax("http-idle-bench server", summary: "serves, counting its connections at /connections", options: [
            .value("port", "PORT", default: "18083", "the port to listen on, on 127.0.0.1"),
            .value("idle-timeout", "SECONDS", default: "600", "how long an idle connection is kept"),
            .value("max-connections", "N", default: "20000", "the server's connection limit"),
        ]),
        CommandSyntax("http-idle-bench client", summary: "holds idle connections to a server while others send requests, and reports", options: [
            .value("port", "PORT", default: "18083", "the server's port"),
            .value("server-pid", "PID", "the server's pid, whose resident memory is read (required)"),
            .value("name", "NAME", default: "ours", "the server's name in the report"),
            .value("connections", "N", default: "10000", "idle connections to hold"),
            .value("open-concurrency", "N", default: "128", "connections opened at once"),
            .value("load-connections", "N", default: "64", "connections sending requests meanwhile"),
            .value("load-seconds", "SECONDS", default: "5", "how long they send"),
            .value("count-path", "PATH", default: "", "the server's path that reports its connection count, if it has one"),
        ]),
    ])

let parsed = syntax.parseOrExit()
let fileLimit = SystemLimits.raiseOpenFileLimit()
let run: @Sendable () async throws -> Void
do throws(CommandLineError) {
    if parsed.subcommand == "server" {
        let (port, idleTimeout) = (try parsed.int("port", in: 0...65535), Duration.seconds(try parsed.int("idle-timeout", in: 1...Int.max)))
        let maxConnections = try parsed.int("max-connections", in: 1...Int.max)
        run = { try await IdleBenchServer.run(port: port, idleTimeout: idleTimeout, maxConnections: maxConnections, fileLimit: fileLimit) }
    } else {
        let settings = IdleBenchClient.Settings(
            name: try parsed.string("name"), port: try parsed.int("port", in: 1...65535), serverPID: try parsed.int("server-pid", in: 1...Int.max),
            connections: try parsed.int("connections", in: 0...Int.max), openConcurrency: try parsed.int("open-concurrency", in: 1...Int.max),
            loadConnections: try parsed.int("load-connections", in: 1...Int.max), loadSeconds: try parsed.int("load-seconds", in: 0...Int.max),
            countPath: try parsed.string("count-path"))
        guard settings.connections + settings.loadConnections + 16 <= fileLimit else {
            throw CommandLineError("open-file limit \(fileLimit) is too low for \(settings.connections) idle connections")
        }
        run = { try await IdleBenchClient(settings).run() }
    }
} catch {
    parsed.syntax.fail(error)
}
try await run()
