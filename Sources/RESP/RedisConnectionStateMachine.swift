import Bytes

/// The logic of one Redis connection, without I/O: which bytes to write, which reply belongs to
/// which command, and when the connection must close.
///
/// Replies come back in the order commands were written, so commands wait in a FIFO queue. A
/// caller that stops waiting (cancellation) leaves its slot in the queue marked abandoned and the
/// reply is discarded when it arrives, which keeps every later reply matched to its own command.
/// A command that times out closes the connection instead: the server is not answering, and a
/// late reply could otherwise never be told apart. The I/O layer feeds events in, performs the
/// writes, resumes callers with the completions, and closes the socket once `isClosed`.
struct RedisConnectionStateMachine: Sendable {
    /// Who is waiting for a reply.
    enum Waiter: Sendable, Equatable {
        /// A connection setup command (AUTH, SELECT, CLIENT SETNAME) that must answer `+OK`; the
        /// index of its name in `handshakeNames`, which keeps this type trivial to copy.
        case handshake(Int)
        /// A caller, identified by the id the I/O layer gave it; for a pipeline, its last command.
        case caller(UInt64)
        /// A command of pipeline `id` before its last; the reply is kept for the pipeline's
        /// completion, so a pipeline resumes its caller once rather than once per reply.
        case collect(UInt64)
        /// A caller that stopped waiting; its reply is discarded.
        case abandoned
    }

    struct Pending: Sendable {
        var waiter: Waiter
        let deadline: ContinuousClock.Instant
    }

    /// A caller's outcome, to be delivered by the I/O layer.
    struct Completion: Sendable, Equatable {
        let id: UInt64
        /// The reply of the caller's (last) command, or why there is none.
        let result: Result<RESPValue, RedisClientError>
        /// For a pipeline that succeeded, the replies of its commands before the last, in order.
        var earlier: [RESPValue] = []
    }

    enum State: Sendable, Equatable {
        /// Setup commands are outstanding.
        case handshaking
        case ready
        /// Closed for good; new commands fail with this error.
        case closed(RedisClientError)
    }

    private(set) var state: State
    private var decoder = RESPDecoder()
    /// Waiters in write order, the oldest first.
    private var pending = FIFO<Pending>()
    private var outbound = ByteBuffer()
    /// Replies of the pipeline now being answered, before its last command.
    private var collected: [RESPValue] = []
    private let commandTimeout: Duration
    /// Names of the setup commands, for errors.
    private var handshakeNames: [String] = []

    /// A connection that has just been opened; setup commands for `configuration` are queued.
    init(configuration: RedisConfiguration, now: ContinuousClock.Instant) {
        commandTimeout = configuration.commandTimeout
        let handshake = configuration.handshake
        state = handshake.isEmpty ? .ready : .handshaking
        for command in handshake {
            // Setup commands always have a name, so encoding cannot fail.
            try? RESPEncoder.encodeCommand(command, into: &outbound)
            pending.append(Pending(waiter: .handshake(handshakeNames.count), deadline: now + commandTimeout))
            handshakeNames.append(command.prefix(2).joined(separator: " "))
        }
    }

    /// True once the connection must not be used any more; the socket should be closed.
    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// Number of commands written or queued whose replies have not arrived.
    var inFlight: Int { pending.count }

    /// When the oldest unanswered command times out, if any is outstanding.
    var nextDeadline: ContinuousClock.Instant? { pending.first?.deadline }

    /// Queues a caller's command for writing.
    mutating func submit(id: UInt64, arguments: [any RESPArgument], now: ContinuousClock.Instant) throws(RedisClientError) {
        if case .closed(let error) = state { throw error.asConnectionClosed }
        do {
            try RESPEncoder.encodeCommand(arguments, into: &outbound)
        } catch {
            throw .invalidCommand(error)
        }
        pending.append(Pending(waiter: .caller(id), deadline: now + commandTimeout))
    }

    /// Queues a caller's pipeline for writing, all of it or (on an empty command) nothing. Its
    /// one completion carries every reply: the last in `result`, the others in `earlier`.
    mutating func submit(id: UInt64, pipeline commands: [[any RESPArgument]], now: ContinuousClock.Instant) throws(RedisClientError) {
        if case .closed(let error) = state { throw error.asConnectionClosed }
        guard !commands.isEmpty, commands.allSatisfy({ !$0.isEmpty }) else { throw .invalidCommand(.emptyCommand) }
        let deadline = now + commandTimeout
        pending.reserveCapacity(pending.count + commands.count)
        for command in commands {
            // Cannot fail: emptiness, the encoder's only error, was ruled out above.
            try? RESPEncoder.encodeCommand(command, into: &outbound)
            pending.append(Pending(waiter: .collect(id), deadline: deadline))
        }
        pending[pending.count - 1].waiter = .caller(id)
    }

    /// Bytes to write now (all queued commands back to back), or nil when there are none.
    mutating func takeOutbound() -> ByteBuffer? {
        guard outbound.readableBytes > 0, !isClosed else { return nil }
        // The next buffer is sized like this one (within bounds): callers tend to repeat the
        // same shape, and growing by doubling from empty would allocate several times per write.
        let taken = outbound
        outbound = ByteBuffer(capacity: min(max(taken.readableBytes, 64), 64 * 1024))
        return taken
    }

    /// Matches received replies to waiters. On invalid bytes or a failed setup command the
    /// connection closes and every waiter fails.
    mutating func received(_ bytes: ByteBuffer) -> [Completion] {
        guard !isClosed else { return [] }
        decoder.feed(bytes)
        var completions: [Completion] = []
        while true {
            let value: RESPValue
            do {
                guard let next = try decoder.next() else { break }
                value = next
            } catch {
                return completions + close(.protocolViolation(error), headError: nil)
            }
            guard let waiter = pending.popFirst()?.waiter else {
                return completions + close(.connectionClosed(reason: "server sent a reply no command was waiting for"), headError: nil)
            }
            switch waiter {
            case .caller(let id):
                if collected.isEmpty {
                    completions.append(Completion(id: id, result: .success(value)))
                } else {
                    completions.append(Completion(id: id, result: .success(value), earlier: collected))
                    collected = []
                }
            case .collect(let id):
                if collected.isEmpty {
                    // Room for the whole pipeline, its last reply included, so the caller can
                    // append that one without the array growing.
                    var size = 2
                    while size - 2 < pending.count, pending[size - 2].waiter == .collect(id) { size += 1 }
                    collected.reserveCapacity(size)
                }
                collected.append(value)
            case .abandoned:
                // Replies already collected belong to this abandoned pipeline: a pipeline's
                // commands are queued together, so nothing else can be collected in between.
                collected.removeAll()
                continue
            case .handshake(let index):
                let command = handshakeNames[index]
                if case .error(let text) = value {
                    return completions + close(.server(RedisServerError(reply: String(describing: text))), headError: nil)
                }
                guard value == .simpleString(ByteBuffer(string: "OK")) else {
                    return completions + close(.handshakeFailed(command: command, reply: String(describing: value)), headError: nil)
                }
                if !pending.contains(where: { if case .handshake = $0.waiter { true } else { false } }) {
                    state = .ready
                }
            }
        }
        return completions
    }

    /// The caller `id` stopped waiting. Returns true when it was still waiting, in which case the
    /// I/O layer must resume it with `.cancelled`; its reply will be discarded.
    mutating func cancel(id: UInt64) -> Bool {
        guard let index = pending.firstIndex(where: { $0.waiter == .caller(id) }) else { return false }
        pending[index].waiter = .abandoned
        // The pipeline's earlier commands still waiting sit right before its last one.
        var member = index - 1
        while member >= 0, pending[member].waiter == .collect(id) {
            pending[member].waiter = .abandoned
            member -= 1
        }
        return true
    }

    /// Closes the connection when the oldest command has waited past its deadline: that command
    /// fails with `.commandTimeout`, later ones with `.connectionClosed`.
    mutating func checkTimeout(now: ContinuousClock.Instant) -> [Completion] {
        guard !isClosed, let deadline = nextDeadline, deadline <= now else { return [] }
        return close(.connectionClosed(reason: "an earlier command timed out"), headError: .commandTimeout(commandTimeout))
    }

    /// The socket closed or failed; every waiter fails with `reason`.
    mutating func connectionLost(_ reason: RedisClientError) -> [Completion] {
        guard !isClosed else { return [] }
        return close(reason, headError: nil)
    }

    /// Fails every waiting caller with `error`, except the caller owning the oldest command,
    /// which gets `headError` when given. That owner may be a pipeline whose last command sits
    /// further back in the queue (the oldest is then one of its `.collect` entries).
    private mutating func close(_ error: RedisClientError, headError: RedisClientError?) -> [Completion] {
        state = .closed(error)
        let headOwner: UInt64? = switch pending.first?.waiter {
        case .caller(let id), .collect(let id): id
        default: nil
        }
        var completions: [Completion] = []
        for entry in pending {
            if case .caller(let id) = entry.waiter {
                let failure = id == headOwner ? headError ?? error : error
                completions.append(Completion(id: id, result: .failure(failure)))
            }
        }
        pending = FIFO()
        collected = []
        outbound = ByteBuffer()
        return completions
    }
}
