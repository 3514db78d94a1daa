import Bytes
import Synchronization
import Transport

/// One connection to a Redis server, shared safely by any number of tasks.
///
/// Commands from concurrent callers are written back to back without waiting for each other's
/// replies (automatic pipelining) and replies are matched in order. Every command waits at most
/// `RedisConfiguration.commandTimeout`, timed by the connection's event loop; a timeout closes
/// the connection, a cancelled caller returns at once and its reply is discarded when it
/// arrives. A connection never reconnects: commands in flight when it breaks fail with
/// `RedisClientError.Code.connectionClosed` (the server closed it) or `.connectionLost` (the
/// socket failed, with the `TransportError`), and later ones with `.connectionClosed`
/// (`RedisClient` replaces closed connections). Call `close()` when done: a connection from
/// `connect` keeps its reader and writer running until it is closed.
public final class RedisConnection: RedisCommandSender, Sendable {
    /// State touched by every caller, the reader and writer, and the timer. A mutex rather than
    /// an actor: each section is a few non-suspending steps, and callers must not hop executors.
    ///
    /// Continuations are unsafe rather than checked ones, which cost an allocation per wait on
    /// this hot path: each is taken out of `waiters` under the lock, and so resumed, exactly once.
    private struct Shared {
        var machine: RedisConnectionStateMachine
        var waiters: [UInt64: UnsafeContinuation<Completion, Never>] = [:]
        /// Outcomes that arrived before their caller started waiting.
        var early: [UInt64: Completion] = [:]
        var nextID: UInt64 = 0
        /// The writer task, parked until there is something to write.
        var parkedWriter: UnsafeContinuation<ByteBuffer?, Never>?
        /// The one command timer, armed while commands are outstanding. It is not moved when
        /// replies arrive: it fires at the deadline of the command that was oldest when it was
        /// armed and then re-arms for the oldest one left, so a busy connection touches the
        /// loop's timer heap about once per command timeout rather than twice per command.
        var timer: Scheduled?
    }

    typealias Completion = RedisConnectionStateMachine.Completion

    /// What this connection was opened with.
    public let configuration: RedisConfiguration
    private let transport: TCPConnection
    private let shared: Mutex<Shared>

    private init(configuration: RedisConfiguration, transport: TCPConnection, machine: RedisConnectionStateMachine) {
        self.configuration = configuration
        self.transport = transport
        shared = Mutex(Shared(machine: machine))
    }

    /// Opens a connection and runs the AUTH / SELECT / CLIENT SETNAME handshake, all within
    /// `configuration.connectTimeout`. The connection's socket is served by the next loop of
    /// `group`.
    public static func connect(configuration: RedisConfiguration, on group: EventLoopGroup = .shared) async throws(RedisClientError) -> RedisConnection {
        let connection = try await open(configuration, on: group)
        // Owned by the connection: the task ends when the connection closes (`close()`, or the
        // server going away). Pooled connections run in their client's `run()` instead.
        Task(executorPreference: connection.eventLoop) { await connection.run() }
        return connection
    }

    /// Opens a connection whose reader and writer run once the caller runs `run()`.
    static func open(_ configuration: RedisConfiguration, on group: EventLoopGroup) async throws(RedisClientError) -> RedisConnection {
        let (transport, machine) = try await handshake(configuration, on: group)
        return RedisConnection(configuration: configuration, transport: transport, machine: machine)
    }

    /// Opens a TCP connection and completes the setup handshake on it.
    static func handshake(_ configuration: RedisConfiguration, on group: EventLoopGroup) async throws(RedisClientError) -> (TCPConnection, RedisConnectionStateMachine) {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.connectTimeout
        let transport: TCPConnection
        do {
            transport = try await TCPConnection.connect(host: configuration.host, port: configuration.port, timeout: configuration.connectTimeout, on: group)
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
        return (transport, machine)
    }

    /// Opens a connection to a `redis://[user:password@]host[:port][/db]` URL.
    public static func connect(url: String) async throws(RedisClientError) -> RedisConnection {
        try await connect(configuration: RedisConfiguration(url: url))
    }

    /// The event loop serving this connection. Tasks that send many commands on it can prefer
    /// it as their executor (`Task(executorPreference:)`) to avoid a thread hop per reply.
    public var eventLoop: EventLoop { transport.eventLoop }

    /// True once the connection can no longer run commands.
    public var isClosed: Bool { shared.withLock { $0.machine.isClosed } }

    /// Commands sent whose replies have not arrived yet.
    public var inFlight: Int { shared.withLock { $0.machine.inFlight } }

    /// `isClosed` and `inFlight` under one lock, for the pool's choice of a connection.
    var load: (closed: Bool, inFlight: Int) { shared.withLock { ($0.machine.isClosed, $0.machine.inFlight) } }

    /// Closes the connection; commands still waiting fail with `.connectionClosed`.
    public func close() {
        close(failing: .connectionClosed(reason: "closed by the client"))
    }

    /// Closes the connection; commands still waiting fail with `error`.
    func close(failing error: RedisClientError) {
        fail(error)
    }

    /// Sends one command (name first) and returns its reply.
    /// - Throws: `.server` for an error reply, and the connection-level errors of `RedisClientError`.
    public func send(_ arguments: [any RESPArgument]) async throws(RedisClientError) -> RESPValue {
        let reply = try await submit { (machine, id, now) throws(RedisClientError) in
            try machine.submit(id: id, arguments: arguments, now: now)
        }.result.get()
        if case .error(let text) = reply { throw .server(RedisServerError(reply: String(describing: text))) }
        return reply
    }

    /// Sends commands as one pipeline: written back to back, with nothing from other callers in
    /// between, and returns each reply (error replies included as values) in order.
    public func pipeline(_ commands: [[any RESPArgument]]) async throws(RedisClientError) -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        var completion = try await submit { (machine, id, now) throws(RedisClientError) in
            try machine.submit(id: id, pipeline: commands, now: now)
        }
        // Swapped out, not copied, so the array is unique and the append reuses its room.
        var replies: [RESPValue] = []
        swap(&replies, &completion.earlier)
        replies.append(try completion.result.get())
        return replies
    }

    /// Queues what `enqueue` puts into the state machine under a fresh id, has it written (see
    /// `writeDirectly`) or wakes the writer, arms the command timer if none is armed, and waits
    /// for the outcome.
    private func submit(
        _ enqueue: (inout RedisConnectionStateMachine, UInt64, ContinuousClock.Instant) throws(RedisClientError) -> Void
    ) async throws(RedisClientError) -> Completion {
        let id: UInt64
        let writer: UnsafeContinuation<ByteBuffer?, Never>?
        let outbound: ByteBuffer?
        let wasIdle: Bool
        (id, writer, outbound, wasIdle) = try shared.withLock { (shared) throws(RedisClientError) in
            let wasIdle = shared.machine.inFlight == 0
            shared.nextID &+= 1
            try enqueue(&shared.machine, shared.nextID, ContinuousClock.now)
            if shared.timer == nil { armTimer(&shared) }
            guard let writer = shared.parkedWriter else { return (shared.nextID, nil, nil, wasIdle) }
            shared.parkedWriter = nil
            return (shared.nextID, writer, shared.machine.takeOutbound(), wasIdle)
        }
        if let writer {
            if wasIdle { writeDirectly(outbound, holding: writer) } else { writer.resume(returning: outbound) }
        }
        return await wait(for: id)
    }

    /// Writes `bytes` on the caller's thread, without waking the writer task, when the caller
    /// found the connection idle: a lone caller's command or pipeline then costs no task switch
    /// on the way out. Callers that come while others wait for replies still wake the writer,
    /// which writes all that accumulated at once. The writer stays out of the way (held here,
    /// not parked) until this ends; it is then parked again, or handed what the socket could
    /// not take now, or ended when the connection closed meanwhile.
    private func writeDirectly(_ bytes: ByteBuffer?, holding writer: UnsafeContinuation<ByteBuffer?, Never>) {
        var pending = bytes
        while true {
            if var bytes = pending {
                do {
                    guard try transport.writeNow(&bytes) else {
                        writer.resume(returning: bytes)
                        return
                    }
                } catch {
                    // Parked again so that closing the connection ends it.
                    shared.withLock { $0.parkedWriter = writer }
                    fail(Self.lost(error))
                    return
                }
            }
            let closed = shared.withLock { shared in
                if shared.machine.isClosed { return true }
                pending = shared.machine.takeOutbound()
                if pending == nil { shared.parkedWriter = writer }
                return false
            }
            if closed {
                writer.resume(returning: nil)
                return
            }
            if pending == nil { return }
        }
    }

    /// Waits for the outcome of caller `id`; when the caller is cancelled it stops waiting at
    /// once and its commands still queued are abandoned.
    private func wait(for id: UInt64) async -> Completion {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Completion, Never>) in
                let early: Completion? = shared.withLock { shared in
                    // The outcome may be here already, including a cancellation seen by `onCancel`.
                    if let completion = shared.early.removeValue(forKey: id) { return completion }
                    shared.waiters[id] = continuation
                    return nil
                }
                if let early { continuation.resume(returning: early) }
            }
        } onCancel: {
            let cancelled = Completion(id: id, result: .failure(.cancelled))
            let waiter: UnsafeContinuation<Completion, Never>? = shared.withLock { shared in
                guard shared.machine.cancel(id: id) else { return nil }
                if let registered = shared.waiters.removeValue(forKey: id) { return registered }
                shared.early[id] = cancelled
                return nil
            }
            waiter?.resume(returning: cancelled)
        }
    }
}

extension RedisConnection {
    /// Runs the reader and the writer until the connection closes. Cancelling it closes the
    /// connection.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask(executorPreference: transport.eventLoop) { await self.writeLoop() }
            await readLoop()
        }
    }

    /// Reads replies and hands them to their callers until the connection closes.
    private func readLoop() async {
        while true {
            let bytes: ByteBuffer?
            do {
                bytes = try await transport.read()
            } catch {
                fail(Self.lost(error))
                return
            }
            guard let bytes else {
                fail(.connectionClosed(reason: "server closed the connection"))
                return
            }
            guard deliver({ $0.received(bytes) }) else { return }
        }
    }

    /// Writes queued commands, all that have accumulated at once, until the connection closes.
    private func writeLoop() async {
        while true {
            let bytes = await withUnsafeContinuation { (continuation: UnsafeContinuation<ByteBuffer?, Never>) in
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
                fail(Self.lost(error))
                return
            }
        }
    }

    /// Schedules the command timer for the oldest outstanding command, if there is one.
    private func armTimer(_ shared: inout Shared) {
        guard let deadline = shared.machine.nextDeadline else { return }
        shared.timer = transport.eventLoop.scheduleTask(at: deadline) { [weak self] in self?.timerFired() }
    }

    /// The oldest command may have timed out: closes the connection if it has, else re-arms.
    private func timerFired() {
        deliver { machine in machine.checkTimeout(now: .now) } rearm: { shared in
            shared.timer = nil
            armTimer(&shared)
        }
    }

    /// Applies an event to the state machine and resumes the callers it completed; `rearm`
    /// runs under the same lock while the connection stays open. Returns false once the
    /// connection is closed (the socket and the timer are then closed too).
    @discardableResult
    private func deliver(
        _ event: (inout RedisConnectionStateMachine) -> [RedisConnectionStateMachine.Completion],
        rearm: (inout Shared) -> Void = { _ in }
    ) -> Bool {
        // One completion per read is the common case (a pipeline's or a lone command's reply):
        // kept out of an array, which would be an allocation per read.
        var first: (UnsafeContinuation<Completion, Never>, Completion)?
        var more: [(UnsafeContinuation<Completion, Never>, Completion)] = []
        let (open, writer) = shared.withLock { shared -> (Bool, UnsafeContinuation<ByteBuffer?, Never>?) in
            for completion in event(&shared.machine) {
                if let waiter = shared.waiters.removeValue(forKey: completion.id) {
                    if first == nil { first = (waiter, completion) } else { more.append((waiter, completion)) }
                } else {
                    shared.early[completion.id] = completion
                }
            }
            guard shared.machine.isClosed else {
                rearm(&shared)
                return (true, nil)
            }
            shared.timer?.cancel()
            shared.timer = nil
            let writer = shared.parkedWriter
            shared.parkedWriter = nil
            return (false, writer)
        }
        if let (waiter, completion) = first { waiter.resume(returning: completion) }
        for (waiter, completion) in more { waiter.resume(returning: completion) }
        writer?.resume(returning: nil)
        if !open { transport.close() }
        return open
    }

    /// Closes the connection, failing every waiting command with `error`.
    private func fail(_ error: RedisClientError) {
        deliver { $0.connectionLost(error) }
    }

    /// The client error for a read or write that failed: the transport's own error, kept typed.
    private static func lost(_ error: any Error) -> RedisClientError {
        switch error {
        case let error as TransportError: .connectionLost(error)
        case is CancellationError: .connectionClosed(reason: "the task running the connection was cancelled")
        default: .connectionClosed(reason: "\(error)")
        }
    }

    /// The client error for a failed connect or handshake.
    static func connectError(_ error: any Error, _ configuration: RedisConfiguration) -> RedisClientError {
        switch error {
        case let error as RedisClientError: error
        case TransportError.Code.timedOut: .connectTimeout(configuration.connectTimeout)
        case let error as TransportError: .connectFailed(host: configuration.host, port: configuration.port, error)
        case is CancellationError: .cancelled
        default: .connectionClosed(reason: "\(error)")
        }
    }
}
