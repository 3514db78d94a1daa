import Foundation
import Glibc
import RESP
import TestSupport
import Transport

/// A redis-server of the test's own, on a free port, for tests that stop and restart it.
final class ScratchRedisServer: @unchecked Sendable {
    // Unchecked: `process` is only touched by the one test task that owns the server.
    let port: Int
    /// Whether the server keeps an append-only file (fsynced on every write) across restarts.
    let persistent: Bool
    private let directory: URL
    private let executable: URL
    private var process: Process?

    /// Why a scratch server could not be run.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Picks a free port and a data folder; `persistent` turns on the AOF with `appendfsync always`,
    /// so every acknowledged write survives a SIGKILL and a restart.
    init(persistent: Bool = false) async throws {
        executable = try Self.findOnPath("redis-server")
        self.persistent = persistent
        let probe = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        port = probe.port
        probe.close()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(port)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Starts the server (again, with the data it left) and waits until it accepts connections.
    func start() async throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path, "--save", ""]
            + (persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"])
        process.standardOutput = FileHandle.nullDevice
        try launch(process)
        self.process = process
        // Up only once it answers PING (not LOADING, while it replays the AOF).
        try await eventually("scratch redis-server on port \(port) to answer PING", every: .milliseconds(50)) { [port] in
            guard let connection = try? await RedisConnection.connect(configuration: RedisConfiguration(port: port)) else { return false }
            defer { connection.close() }
            return (try? await connection.ping()) == "PONG"
        }
    }

    /// Kills the server (SIGKILL, like a crash) and waits for it to exit.
    func stop() async throws {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        try await eventually("scratch redis-server (pid \(process.processIdentifier)) to exit after SIGKILL") { !process.isRunning }
        self.process = nil
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The first executable file called `name` in a folder of `PATH`.
    private static func findOnPath(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw Failure(description: "\(name) not found on PATH (\(path)); install it (apt-get install redis-server) or run scripts/servers.sh start")
    }
}
