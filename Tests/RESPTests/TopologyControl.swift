import Foundation
import Glibc
import RESP
import TestSupport

/// Drives the servers of a Sentinel or Cluster topology the way an operator or a fault would:
/// admin commands, kill -9 and a restart from the server's own configuration file.
enum TopologyControl {
    /// Why a step on the topology could not be done.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// How the tests' admin connections reach `endpoint`: the credentials of `template`.
    static func connect(_ endpoint: RedisEndpoint, like template: RedisConfiguration) async throws -> RedisConnection {
        var configuration = template
        configuration.endpoint = endpoint
        configuration.database = 0
        return try await RedisConnection.connect(configuration: configuration)
    }

    /// One field of `INFO section` on `endpoint`.
    static func info(_ field: String, section: String, at endpoint: RedisEndpoint, like template: RedisConfiguration) async throws -> String? {
        let connection = try await connect(endpoint, like: template)
        defer { connection.close() }
        let text = try await connection.info(section)
        return text.split(whereSeparator: \.isNewline).first { $0.hasPrefix(field + ":") }.map { String($0.dropFirst(field.count + 1)) }
    }

    /// Kills the server at `endpoint` with SIGKILL, like a crash, and returns its configuration
    /// file, to restart it from.
    static func kill9(_ endpoint: RedisEndpoint, like template: RedisConfiguration) async throws -> String {
        guard let pid = try await info("process_id", section: "server", at: endpoint, like: template).flatMap({ Int32($0) }),
              let file = try await info("config_file", section: "server", at: endpoint, like: template), !file.isEmpty
        else { throw Failure(description: "\(endpoint) reports no process id or configuration file") }
        kill(pid, SIGKILL)
        try await waitUntil("\(endpoint) gone after SIGKILL", within: .seconds(10)) {
            !(await TCPProbe.canConnect(host: endpoint.host, port: endpoint.port, timeout: .milliseconds(200)))
        }
        return file
    }

    /// Starts a server again from its configuration file, which daemonizes it: the process
    /// started exits once the server runs in the background. Spawned directly and reaped without
    /// blocking, so no thread of the cooperative pool waits on it.
    static func restart(configFile: String, sentinel: Bool = false) async throws {
        let arguments = ["redis-server", configFile] + (sentinel ? ["--sentinel"] : [])
        var pid: pid_t = 0
        let pointers = arguments.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        let spawned = posix_spawnp(&pid, "redis-server", nil, nil, pointers, environ)
        guard spawned == 0 else { throw Failure(description: "cannot start redis-server \(configFile): errno \(spawned)") }
        var status: Int32 = 0
        try await waitUntil("redis-server \(configFile) daemonizing", within: .seconds(10)) { waitpid(pid, &status, WNOHANG) == pid }
        guard status == 0 else { throw Failure(description: "redis-server \(configFile) exited with status \(status)") }
    }

    /// Polls `condition` every 20 ms until it holds, or throws after `limit`.
    static func waitUntil(_ what: String, within limit: Duration, _ condition: () async throws -> Bool) async throws {
        try await eventually(what, within: limit, every: .milliseconds(20), condition)
    }
}
