import Bytes
import Synchronization
import Transport

/// One connection to a Redis server, shared safely by any number of tasks.
///
/// Commands from concurrent callers are written back to back without waiting for each other's
/// replies (automatic pipelining) and replies are matched in order. Every command waits at most
/// `RedisConfiguration.commandTimeout`; a timeout closes the connection, a cancelled caller
/// returns at once and its reply is discarded when it arrives. A connection never reconnects:
/// once closed, commands fail with `RedisClientError.connectionClosed` (`RedisClient` replaces
/// closed connections).
public final class RedisConnection: RedisCommandSender, Sendable {
    /// State touched by every caller and by the reader and writer tasks. A mutex rather than an
    /// actor: each section is a few non-suspending steps, and callers must not hop executors.
    private struct Shared {
        var machine: RedisConnectionStateMachine
        var waiters: [UInt64: CheckedContinuation<RESPValue, any Error>] = [:]
        /// Outcomes that arrived before their caller started waiting (pipelines wait in turn).
        var early: [UInt64: Result<RESPValue, RedisClientError>] = [:]
        var nextID: UInt64 = 0
        /// The writer task, parked until there is something to write.
        var parkedWriter: CheckedContinuation<ByteBuffer?, Never>?
    }

    public let configuration: RedisConfiguration
    private let transport: TCPConnection
    private let shared: Mutex<Shared>

    private init(configuration: RedisConfiguration, transport: TCPConnection, machine: RedisConnectionStateMachine) {
        self.configuration = configuration
        self.transport = transport
        shared = Mutex(Shared(machine: machine))
    }

    /// Opens a connection and runs the AUTH / SELECT / CLIENT SETNAME handshake, all within
    /// `configuration.connectTimeout`.
    public static func connect(configuration: RedisConfiguration) async throws(RedisClientError) -> RedisConnection {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.connectTimeout
        let transport: TCPConnection
        do {
            transport = try await TCPConnection.connect(host: configuration.host, port: configuration.port, timeout: configuration.connectTimeout)
        } catch {
            throw connectError(error, configuration)
        }
        var machine = RedisConnectionStateMachine(configuration: configuration, now: clock.now)
        do {
            if let handshake = machine.takeOutbound() {
                try await transport.write(handshake, timeout: deadline - clock.now)
            }
            while machine.state == .handshaking {
                guard let bytes = try await transport.read(timeout: deadline - clock.now) else {
                    throw RedisClientError.connectionClosed(reason: "server closed the connection during setup")
                }
                _ = machine.received(bytes)
            }
            if case .closed(let error) = machine.state { throw error }
        } catch {
            transport.close()
            throw connectError(error, configuration)
        }
        let connection = RedisConnection(configuration: configuration, transport: transport, machine: machine)
        Task(executorPreference: transport.eventLoop) { await connection.readLoop() }
        Task(executorPreference: transport.eventLoop) { await connection.writeLoop() }
        return connection
    }

    /// Opens a connection to a `redis://[user:password@]host[:port][/db]` URL.
    public static func connect(url: String) async throws(RedisClientError) -> RedisConnection {
        try await connect(configuration: RedisConfiguration(url: url))
    }

    /// True once the connection can no longer run commands.
    public var isClosed: Bool { shared.withLock { $0.machine.isClosed } }

    /// Commands sent whose replies have not arrived yet.
    public var inFlight: Int { shared.withLock { $0.machine.inFlight } }

    /// Closes the connection; commands still waiting fail with `.connectionClosed`.
    public func close() {
        fail(.connectionClosed(reason: "closed by the client"))
    }

    /// Sends one command (name first) and returns its reply.
    /// - Throws: `.server` for an error reply, and the connection-level errors of `RedisClientError`.
    public func send(_ arguments: [any RESPArgument]) async throws(RedisClientError) -> RESPValue {
        let reply = try await sendAll([arguments])[0].get()
        if case .error(let text) = reply { throw .server(RedisServerError(reply: String(describing: text))) }
        return reply
    }

    /// Sends commands as one pipeline: written back to back, with nothing from other callers in
    /// between, and returns each reply (error replies included as values) in order.
    public func pipeline(_ commands: [[any RESPArgument]]) async throws(RedisClientError) -> [RESPValue] {
        var replies: [RESPValue] = []
        for result in try await sendAll(commands) { replies.append(try result.get()) }
        return replies
    }

    /// Submits `commands` atomically and waits for all their replies.
    private func sendAll(_ commands: [[any RESPArgument]]) async throws(RedisClientError) -> [Result<RESPValue, RedisClientError>] {
        // Checked up front so a pipeline is queued entirely or not at all.
        guard commands.allSatisfy({ !$0.isEmpty }) else { throw .invalidCommand(.emptyCommand) }
        let ids: [UInt64]
        let writer: CheckedContinuation<ByteBuffer?, Never>?
        let outbound: ByteBuffer?
        (ids, writer, outbound) = try shared.withLock { (shared) throws(RedisClientError) in
            let now = ContinuousClock.now
            var ids: [UInt64] = []
            for command in commands {
                shared.nextID &+= 1
                try shared.machine.submit(id: shared.nextID, arguments: command, now: now)
                ids.append(shared.nextID)
            }
            guard let writer = shared.parkedWriter else { return (ids, nil, nil) }
            shared.parkedWriter = nil
            return (ids, writer, shared.machine.takeOutbound())
        }
        writer?.resume(returning: outbound)
        var results: [Result<RESPValue, RedisClientError>] = []
        for id in ids { results.append(await wait(for: id)) }
        return results
    }

    /// Waits for the reply of command `id`; a cancelled caller stops waiting at once.
    private func wait(for id: UInt64) async -> Result<RESPValue, RedisClientError> {
        do {
            let value = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RESPValue, any Error>) in
                    let early: Result<RESPValue, RedisClientError>? = shared.withLock { shared in
                        // The outcome may be here already, including a cancellation seen by `onCancel`.
                        if let result = shared.early.removeValue(forKey: id) { return result }
                        shared.waiters[id] = continuation
                        return nil
                    }
                    if let early { continuation.resume(with: early) }
                }
            } onCancel: {
                let waiter: CheckedContinuation<RESPValue, any Error>? = shared.withLock { shared in
                    guard shared.machine.cancel(id: id) else { return nil }
                    guard let waiter = shared.waiters.removeValue(forKey: id) else {
                        shared.early[id] = .failure(.cancelled)
                        return nil
                    }
                    return waiter
                }
                waiter?.resume(throwing: RedisClientError.cancelled)
            }
            return .success(value)
        } catch let error as RedisClientError {
            return .failure(error)
        } catch {
            return .failure(.cancelled)
        }
    }
}

extension RedisConnection {
    /// Reads replies and hands them to their callers until the connection closes. Reads wake up
    /// at least every quarter of the command timeout to check the oldest command's deadline.
    private func readLoop() async {
        let tick = configuration.commandTimeout / 4
        while true {
            let timeout: Duration? = shared.withLock { shared in
                guard let deadline = shared.machine.nextDeadline else { return tick }
                return max(min(deadline - .now, tick), .milliseconds(1))
            }
            do {
                guard let bytes = try await transport.read(timeout: timeout) else {
                    fail(.connectionClosed(reason: "server closed the connection"))
                    return
                }
                if !deliver({ $0.received(bytes) }) { return }
            } catch TransportError.timedOut {
                if !deliver({ $0.checkTimeout(now: .now) }) { return }
            } catch {
                fail(.connectionClosed(reason: "\(error)"))
                return
            }
        }
    }

    /// Writes queued commands, all that have accumulated at once, until the connection closes.
    private func writeLoop() async {
        while true {
            let bytes = await withCheckedContinuation { (continuation: CheckedContinuation<ByteBuffer?, Never>) in
                let ready: ByteBuffer?? = shared.withLock { shared in
                    if shared.machine.isClosed { return .some(nil) }
                    if let bytes = shared.machine.takeOutbound() { return bytes }
                    shared.parkedWriter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
            guard let bytes else { return }
            do {
                try await transport.write(bytes)
            } catch {
                fail(.connectionClosed(reason: "\(error)"))
                return
            }
        }
    }

    /// Applies an event to the state machine and resumes the callers it completed. Returns false
    /// once the connection is closed (the socket is then closed too).
    private func deliver(_ event: (inout RedisConnectionStateMachine) -> [RedisConnectionStateMachine.Completion]) -> Bool {
        var ready: [(CheckedContinuation<RESPValue, any Error>, Result<RESPValue, RedisClientError>)] = []
        let (open, writer) = shared.withLock { shared in
            for completion in event(&shared.machine) {
                if let waiter = shared.waiters.removeValue(forKey: completion.id) {
                    ready.append((waiter, completion.result))
                } else {
                    shared.early[completion.id] = completion.result
                }
            }
            let open = !shared.machine.isClosed
            let writer = open ? nil : shared.parkedWriter
            if !open { shared.parkedWriter = nil }
            return (open, writer)
        }
        for (waiter, result) in ready { waiter.resume(with: result.mapError { $0 as any Error }) }
        writer?.resume(returning: nil)
        if !open { transport.close() }
        return open
    }

    /// Closes the connection, failing every waiting command with `error`.
    private func fail(_ error: RedisClientError) {
        _ = deliver { $0.connectionLost(error) }
    }

    /// The client error for a failed connect or handshake.
    private static func connectError(_ error: any Error, _ configuration: RedisConfiguration) -> RedisClientError {
        switch error {
        case let error as RedisClientError: error
        case TransportError.timedOut: .connectTimeout(configuration.connectTimeout)
        case is CancellationError: .cancelled
        default: .connectFailed(host: configuration.host, port: configuration.port, reason: "\(error)")
        }
    }
}
