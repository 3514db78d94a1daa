import Foundation
import Services

/// Runs the gateway service.
let status = await PipelineApp.main(
    roles: [.gateway],
    arguments: Array(CommandLine.arguments.dropFirst()),
    environment: ProcessInfo.processInfo.environment
)
exit(status)
