import Foundation

/// Runs `rabbitmqctl -n node -q arguments…` without blocking a thread; returns its output and
/// throws when it exits non-zero.
func rabbitmqctl(node: String, _ arguments: [String]) async throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/rabbitmqctl")
    process.arguments = ["-n", node, "-q"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw RabbitMQControlError(description: "rabbitmqctl -n \(node) \(arguments.joined(separator: " ")) failed: \(output)")
    }
    return output
}

struct RabbitMQControlError: Error, CustomStringConvertible {
    let description: String
}

/// The disposable nodes that `scripts/amqp-recovery-tests.sh` starts: tests that block, stop or
/// fail over a broker run only when `AMQP_RECOVERY_TESTS=1`, never against a shared broker.
enum DisposableNodes {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["AMQP_RECOVERY_TESTS"] == "1"
    /// `AMQP_URLS`: the two nodes' URLs, comma-separated, as servers.sh exports them.
    static let urls = (environment["AMQP_URLS"] ?? "").split(separator: ",").map(String.init)
    static let nodes = [environment["RABBITMQ_NODENAME"] ?? "op1@localhost", environment["RABBITMQ2_NODENAME"] ?? "op2@localhost"]
}
