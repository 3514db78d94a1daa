import Foundation
import Services

/// Runs the services ROLES names (all four by default) in one process; run under a role's name
/// (`order-gateway`, a link to this binary) it runs that role alone.
let status = await PipelineApp.main(
    program: CommandLine.arguments[0],
    arguments: Array(CommandLine.arguments.dropFirst()),
    environment: ProcessInfo.processInfo.environment
)
exit(status)
