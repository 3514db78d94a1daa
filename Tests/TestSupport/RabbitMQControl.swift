import Foundation
import Synchronization

/// Runs `rabbitmqctl -n node -q arguments…` without blocking a thread and returns its output.
///
/// Throws when it exits non-zero, or when it has not finished within `timeout` (it is then
/// terminated). The output is collected as it comes, so a long listing cannot fill the pipe and
/// stall the command.
public func rabbitmqctl(node: String = RabbitMQNodes.shared, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> String {
    let command = "rabbitmqctl -n \(node) \(arguments.joined(separator: " "))"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/rabbitmqctl")
    process.arguments = ["-n", node, "-q"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let run = ProcessRun()
    let timer = Task {
        try? await Task.sleep(for: timeout)
        guard !Task.isCancelled else { return }
        process.terminate()
        run.end(RabbitMQControlError(description: "\(command) did not finish within \(timeout)"))
    }
    defer { timer.cancel() }
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        run.start(continuation)
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                run.step()
            } else {
                run.append(chunk)
            }
        }
        process.terminationHandler = { _ in run.step() }
        do {
            try launch(process)
        } catch {
            pipe.fileHandleForReading.readabilityHandler = nil
            run.end(error)
        }
    }
    let output = run.output
    guard process.terminationStatus == 0 else {
        throw RabbitMQControlError(description: "\(command) exited with \(process.terminationStatus): \(output)")
    }
    return output
}

/// One `rabbitmqctl` run: its output so far, and the continuation waiting for both its exit and
/// the end of its output (or for a failure, whichever comes first).
private final class ProcessRun: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Void, any Error>?, pending: Int, output: Data)>((nil, 2, Data()))

    var output: String { String(decoding: state.withLock { $0.output }, as: UTF8.self) }

    func start(_ continuation: CheckedContinuation<Void, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func append(_ data: Data) {
        state.withLock { $0.output.append(data) }
    }

    /// The exit or the end of output happened; resumes once both have.
    func step() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.pending -= 1
            guard state.pending == 0 else { return nil }
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }

    func end(_ error: any Error) {
        state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }?.resume(throwing: error)
    }
}

public struct RabbitMQControlError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}

/// Node names for `rabbitmqctl`.
public enum RabbitMQNodes {
    /// The broker at `AMQP_URL`, as `scripts/servers.sh` exports its name (`RABBITMQ_NODENAME`).
    public static let shared = ProcessInfo.processInfo.environment["RABBITMQ_NODENAME"] ?? "op1@localhost"
}

/// The disposable nodes that `scripts/interop/amqp-recovery.sh` starts: tests that block, stop,
/// fail over a broker or change what others share on it run only when `AMQP_RECOVERY_TESTS=1`,
/// never against a shared broker.
public enum DisposableNodes {
    static let environment = ProcessInfo.processInfo.environment
    public static let enabled = environment["AMQP_RECOVERY_TESTS"] == "1"
    /// `AMQP_URLS`: the two nodes' URLs, comma-separated, as servers.sh exports them.
    public static let urls = (environment["AMQP_URLS"] ?? "").split(separator: ",").map(String.init)
    public static let nodes = [environment["RABBITMQ_NODENAME"] ?? "op1@localhost", environment["RABBITMQ2_NODENAME"] ?? "op2@localhost"]
}
