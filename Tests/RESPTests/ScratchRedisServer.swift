import Foundation
import Glibc
import RESP
import Transport

/// A redis-server of the test's own, on a free port, for tests that stop and restart it.
final class ScratchRedisServer: @unchecked Sendable {
    // Unchecked: `process` is only touched by the one test task that owns the server.
    let port: Int
    private let directory: URL
    private var process: Process?

    init() async throws {
        let probe = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        port = probe.port
        probe.close()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(port)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Starts the server (again) and waits until it accepts connections.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path, "--save", "", "--appendonly", "no"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {
            if let connection = try? await RedisConnection.connect(configuration: RedisConfiguration(port: port)) {
                connection.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisClientError.connectFailed(host: "127.0.0.1", port: port, reason: "scratch redis-server did not start")
    }

    /// Kills the server (SIGKILL, like a crash) and waits for it to exit.
    func stop() async throws {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        self.process = nil
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}
