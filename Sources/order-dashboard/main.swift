import Foundation
import Services

/// Runs the dashboard service.
let status = await PipelineApp.main(
    roles: [.dashboard],
    arguments: Array(CommandLine.arguments.dropFirst()),
    environment: ProcessInfo.processInfo.environment
)
exit(status)
