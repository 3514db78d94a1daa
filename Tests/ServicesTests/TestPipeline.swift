@testable import Services

/// The services run by `PipelineApp.serve` in a task of their own, for tests: `stop()` stops
/// them as a shutdown signal does and waits until they have.
struct TestPipeline: Sendable {
    struct NotServing: Error, CustomStringConvertible {
        var description: String { "the pipeline ended before it served" }
    }

    let running: RunningPipeline
    private let stopSignal: StopSignal
    private let task: Task<Void, any Error>

    static func start(
        roles: [ServiceRole] = ServiceRole.allCases, configuration: ServiceConfiguration, logger: JSONLogger, sender: (any NotificationSender)? = nil
    ) async throws -> TestPipeline {
        // The open-order sweep is off here: the shared Redis holds open orders of other tests
        // (the store tests accept orders that nobody notifies), which a sweep would decide.
        // `OpenOrderSweeperTests` test the sweep on keys of their own.
        var configuration = configuration
        configuration.openOrderSweepSeconds = 0
        let stop = StopSignal()
        let (serving, announce) = AsyncStream.makeStream(of: RunningPipeline.self)
        // Owner: the returned value, whose `stop()` ends it (tests that never stop it leave it to
        // the end of the test process).
        let task = Task {
            defer { announce.finish() }
            try await PipelineApp.serve(roles: roles, configuration: configuration, logger: logger, until: stop, sender: sender, serving: { announce.yield($0) })
        }
        for await running in serving { return TestPipeline(running: running, stopSignal: stop, task: task) }
        try await task.value
        throw NotServing()
    }

    func port(_ role: ServiceRole) -> Int? { running.port(role) }

    func stop() async throws {
        stopSignal.raise()
        try await task.value
    }
}
