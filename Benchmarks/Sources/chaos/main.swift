import CommandLineOptions
import Foundation

/// Fault-injection tools for the order pipeline: an open-loop load generator with a client
/// ledger, a recovery probe, a Jepsen-style reconciliation of the ledger against Redis, a loopback
/// proxy that cuts or stalls connections or loses replies, and HTTP abuse checks against a running
/// gateway. `chaos --help` and `chaos COMMAND --help` list the options.
let parsed = ChaosSyntax.command.parseOrExit()
let run: () async throws -> Int32
do throws(CommandLineError) {
    switch parsed.subcommand {
    case "load": run = try LoadCommand(parsed).run
    case "probe": run = try ProbeCommand(parsed).run
    case "reconcile": run = try ReconcileCommand(parsed).run
    case "purge": run = try PurgeCommand(parsed).run
    case "proxy": run = try ProxyCommand(parsed).run
    case "abuse": run = try AbuseCommand(parsed).run
    default: preconditionFailure("ChaosSyntax.command has no subcommand '\(parsed.subcommand ?? "")'")
    }
} catch {
    parsed.syntax.fail(error)
}
do {
    exit(try await run())
} catch {
    log("error: \(error)")
    exit(1)
}
