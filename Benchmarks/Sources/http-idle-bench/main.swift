import Transport

/// Idle keep-alive capacity of the HTTP server: one process serves, another holds thousands of
/// idle keep-alive connections to it while a few more keep sending requests, and reports the
/// server's resident memory per idle connection and the latency of the requests served meanwhile.
///
/// usage:
///   http-idle-bench server [--port 18083] [--idle-timeout 600] [--max-connections 20000]
///   http-idle-bench client --port P --server-pid PID [--name ours] [--connections 10000]
///                          [--open-concurrency 128] [--load-connections 64] [--load-seconds 5]
///                          [--count-path /connections]
///
/// Both modes raise the open-file limit to its hard limit first: every socket is a descriptor.

let arguments = Array(CommandLine.arguments.dropFirst())

/// The value after `--name` in the arguments, or `fallback`.
func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

/// The integer after `--name`, or `fallback`; exits on a malformed number.
func intOption(_ name: String, _ fallback: Int) -> Int {
    let text = option(name, String(fallback))
    guard let value = Int(text), value >= 0 else { fatalError("--\(name) needs a non-negative integer, got \(text)") }
    return value
}

let fileLimit = SystemLimits.raiseOpenFileLimit()
switch arguments.first {
case "server":
    try await IdleBenchServer.run(port: intOption("port", 18083), idleTimeout: .seconds(intOption("idle-timeout", 600)),
                                  maxConnections: intOption("max-connections", 20_000), fileLimit: fileLimit)
case "client":
    let settings = IdleBenchClient.Settings(
        name: option("name", "ours"), port: intOption("port", 18083), serverPID: intOption("server-pid", 0),
        connections: intOption("connections", 10_000), openConcurrency: max(intOption("open-concurrency", 128), 1),
        loadConnections: max(intOption("load-connections", 64), 1), loadSeconds: intOption("load-seconds", 5),
        countPath: option("count-path", ""))
    guard settings.connections + settings.loadConnections + 16 <= fileLimit else {
        fatalError("open-file limit \(fileLimit) is too low for \(settings.connections) idle connections")
    }
    try await IdleBenchClient(settings).run()
default:
    print("usage: http-idle-bench server|client [options]  (see the comment in main.swift)")
}
