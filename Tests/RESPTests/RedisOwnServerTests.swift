import Bytes
import RESP
import Synchronization
import Testing
import TestSupport
import Transport

/// Tests that kill, restart or pause a redis-server of their own. They need `redis-server` on
/// PATH, which is there wherever the shared server runs, hence the same trait.
@Suite(.requires(.redis)) struct RedisOwnServerTests {
    @Test func clientRecoversAfterTheServerRestartsAndInFlightCommandsFail() async throws {
        let server = try await ScratchRedisServer()
        try await server.start()
        let client = RedisClient(
            configuration: RedisConfiguration(port: server.port),
            options: .init(maxConnections: 2, reconnectBackoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200)))
        )
        try await client.withRunning { client in try await restartWhileInUse(server, client) }
    }

    private func restartWhileInUse(_ server: ScratchRedisServer, _ client: RedisClient) async throws {
        try await client.set("k", to: "before")
        let inFlight = Task { try await client.send(["BLPOP", "queue", "10"]) }
        try await eventually("the BLPOP blocking on the server") { try await client.info("clients").contains("blocked_clients:1\r\n") }

        try await server.stop()
        do {
            _ = try await inFlight.value
            Issue.record("a command in flight when the server stops must fail")
        } catch let error as RedisClientError {
            #expect(error.isConnectionBreak, "in-flight BLPOP failed with \(error)")
        }
        // While the server is down, commands fail promptly with a connect error.
        do {
            _ = try await client.incr("counter")
            Issue.record("a command while the server is down must fail")
        } catch {
            #expect(error.code == .connectFailed && error.message.contains(":\(server.port)"), "\(error)")
        }

        try await server.start()
        try await eventually("the client serving commands again") { (try? await client.ping()) == "PONG" }
        // A fresh server without persistence: the old value is gone, and INCR ran exactly once.
        #expect(try await client.get("k") == nil)
        #expect(try await client.incr("counter") == 1)
        try await server.stop()
    }

    @Test func handshakeThatGetsNoAnswerHitsTheConnectTimeout() async throws {
        let server = try await ScratchRedisServer()
        try await server.start()
        let admin = try await RedisConnection.connect(configuration: RedisConfiguration(port: server.port))
        defer { admin.close() }
        // A paused server accepts the connection but answers no command, SELECT included.
        _ = try await admin.send(["CLIENT", "PAUSE", "30000", "ALL"])
        let start = ContinuousClock.now
        await #expect(throws: RedisClientError.connectTimeout(.milliseconds(300))) {
            _ = try await RedisConnection.connect(configuration: RedisConfiguration(port: server.port, database: 1, connectTimeout: .milliseconds(300)))
        }
        // Generous: the pause lasts 30 s, so this only tells the timeout from the pause ending.
        #expect(ContinuousClock.now - start < .seconds(20))
        try await server.stop()
    }

    /// Progress of the load tasks, shared with the test.
    final class LoadState: Sendable {
        let acknowledged = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
    }

    /// What one load task did before its first failure (or the stop).
    struct LoadRecord: Sendable {
        var acknowledged = 0
        var lastValue: Int64 = 0
        var failure: RedisClientError?
    }

    @Test func serverKilledUnderLoadFailsInFlightCommandsAndRetriesNone() async throws {
        let server = try await ScratchRedisServer(persistent: true)
        try await server.start()
        // Far longer than the test waits for failures, so a hung command cannot pass as failed.
        let client = RedisClient(
            configuration: RedisConfiguration(port: server.port, commandTimeout: .seconds(60)),
            options: .init(maxConnections: 4, reconnectBackoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200)))
        )
        try await client.withRunning { client in try await killUnderLoad(server, client) }
    }

    private func killUnderLoad(_ server: ScratchRedisServer, _ client: RedisClient) async throws {
        let state = LoadState()
        // Even tasks RPUSH values unique to each send onto a list of their own, odd tasks INCR a
        // counter of their own: a re-sent command would show as a duplicate or a double increment.
        // Each task sends one command at a time and stops at its first failure.
        let tasks = (0..<50).map { task in
            Task { () -> LoadRecord in
                var record = LoadRecord()
                while !state.stop.load(ordering: .relaxed) {
                    do throws(RedisClientError) {
                        if task.isMultiple(of: 2) {
                            _ = try await client.send(["RPUSH", "list:\(task)", "\(task):\(record.acknowledged)"])
                        } else {
                            record.lastValue = try await client.incr("counter:\(task)")
                        }
                        record.acknowledged += 1
                        state.acknowledged.add(1, ordering: .relaxed)
                    } catch {
                        record.failure = error
                        state.failed.add(1, ordering: .relaxed)
                        return record
                    }
                }
                return record
            }
        }
        try await eventually("the load getting going", within: .seconds(30), every: .milliseconds(5)) {
            state.acknowledged.load(ordering: .relaxed) >= 2000
        }

        try await server.stop()
        // Recorded, not thrown: the tasks are still collected below.
        do {
            try await eventually("every task's command failing promptly after the kill", within: .seconds(20), every: .milliseconds(5)) {
                state.failed.load(ordering: .relaxed) == tasks.count
            }
        } catch {
            Issue.record(error)
        }
        // Restarted before the tasks are collected: a client that quietly retried a failed command
        // would now get it through, and the task would go on as if nothing had happened.
        try await server.start()
        var recovery: (any Error)?
        do {
            try await eventually("the client serving commands again after the restart", within: .seconds(30), every: .milliseconds(20)) {
                (try? await client.ping()) == "PONG"
            }
        } catch {
            recovery = error
        }
        state.stop.store(true, ordering: .relaxed)
        var records: [LoadRecord] = []
        for task in tasks { records.append(await task.value) }
        if let recovery { throw recovery }

        // Whether a command was in flight at the kill depends on scheduling (on a starved machine
        // every task can be between commands): each must fail as a connection error either way.
        for (task, record) in records.enumerated() {
            switch record.failure?.code {
            case .connectionClosed?, .connectionLost?: break
            // Sent after the pool saw the break: refused before anything was written.
            case .connectFailed?: break
            default: Issue.record("task \(task) ended with \(String(describing: record.failure)), not a connection error")
            }
        }
        for (task, record) in records.enumerated() {
            // With appendfsync always every acknowledged write is in the AOF; the one command in
            // flight may have run or not. Anything more would be a command sent twice.
            let allowed = record.acknowledged...(record.acknowledged + 1)
            if task.isMultiple(of: 2) {
                let reply = try await client.send(["LRANGE", "list:\(task)", "0", "-1"])
                guard case .array(let items) = reply else {
                    Issue.record("LRANGE answered \(reply)")
                    continue
                }
                let values = items.compactMap(\.string)
                #expect(allowed.contains(values.count), "list \(task): \(values.count) values for \(record.acknowledged) acknowledged")
                #expect(values == (0..<values.count).map { "\(task):\($0)" }, "list \(task) holds each value once, in order")
            } else {
                let value = try await client.get("counter:\(task)").flatMap { Int(String(describing: $0)) } ?? 0
                #expect(record.lastValue == Int64(record.acknowledged))
                #expect(allowed.contains(value), "counter \(task) is \(value) after \(record.acknowledged) acknowledged INCRs")
            }
        }
        #expect(try await client.send(["RPUSH", "recovered", "x"]) == .integer(1))
        let counter = try await client.get("counter:1").flatMap { Int64(String(describing: $0)) } ?? 0
        #expect(try await client.incr("counter:1") == counter + 1)
        try await server.stop()
    }
}

extension RedisClientError {
    /// The connection broke under the command: closed by the server or failed at the socket.
    var isConnectionBreak: Bool { code == .connectionClosed || code == .connectionLost }
}
