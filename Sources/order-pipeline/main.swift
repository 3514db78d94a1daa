import Foundation
import Services

/// Runs the gateway, processor, notifier and dashboard in one process, for local use.
let status = await PipelineApp.main(
    roles: [.gateway, .processor, .notifier, .dashboard],
    arguments: Array(CommandLine.arguments.dropFirst()),
    environment: ProcessInfo.processInfo.environment
)
exit(status)
