import Foundation
import Services

/// Runs the notifier service.
let status = await PipelineApp.main(
    roles: [.notifier],
    arguments: Array(CommandLine.arguments.dropFirst()),
    environment: ProcessInfo.processInfo.environment
)
exit(status)
