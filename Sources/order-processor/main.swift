import Foundation
import Services

/// Runs the processor service.
let status = await PipelineApp.main(
    roles: [.processor],
    arguments: Array(CommandLine.arguments.dropFirst()),
    environment: ProcessInfo.processInfo.environment
)
exit(status)
