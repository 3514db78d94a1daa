import Bytes
import Synchronization

/// Publisher confirms, the confirm window and `connection.blocked`, on `AMQPConnection`'s state.
///
/// A confirmed publish is sent at once when its channel has room in its window and the server
/// does not block the connection; otherwise it is queued per channel and sent, in order, once
/// both hold. So a burst waits in the client instead of piling up in the broker. Its waiter
/// lives until the broker's ack/nack, a deadline, a cancellation, or the close of the channel or
/// connection, whichever comes first.
extension AMQPConnection {
    struct PublisherState {
        var tracker: ConfirmTracker
        /// Publishes waiting for room or for the server to unblock, oldest first.
        var queue = FIFO<QueuedPublish>()
    }

    struct QueuedPublish {
        let ticket: UInt64
        let content: PublishContent
    }

    /// A publish's frames: encoded ahead, outside the lock, or, for a mandatory publish, the
    /// parts to encode once its sequence number (which its correlation header carries) is known.
    enum PublishContent {
        case encoded(ByteBuffer)
        case mandatory(BasicPublish, BasicProperties, ByteBuffer)
    }

    struct PublishWaiter {
        let continuation: CheckedContinuation<PublishConfirmation, any Error>
        let channel: UInt16
        let deadline: ContinuousClock.Instant
        /// False while queued in the client, true once sent and waiting for the broker.
        var sent = false
    }

    struct UnblockWaiter {
        let continuation: CheckedContinuation<Void, any Error>
        let deadline: ContinuousClock.Instant
    }

    /// True while the server has blocked the connection (`connection.blocked`), typically on a
    /// memory or disk alarm; it then stops reading from publishing connections.
    public var isBlocked: Bool { state.withLock { $0.blockedReason != nil } }

    /// The server's reason while it blocks the connection (e.g. "low on memory"); nil otherwise.
    public var blockedReason: String? { state.withLock { $0.blockedReason } }

    /// Confirmed publishes waiting: held in the client (the window full, or the connection
    /// blocked), or written and waiting for the broker's verdict. Tests wait on these to know
    /// where publishes are.
    var publishWaiters: (held: Int, written: Int) {
        state.withLock { state in
            let written = state.publishWaiters.values.count { $0.sent }
            return (state.publishWaiters.count - written, written)
        }
    }

    /// Returns at once when the connection is not blocked, otherwise when the server unblocks it.
    ///
    /// - Throws: `.blockedTimedOut` after `timeout`, the connection's error when it closes,
    ///   `.cancelled`.
    public func waitUntilUnblocked(timeout: Duration = .seconds(30)) async throws(AMQPConnectionError) {
        let ticket = tickets.add(1, ordering: .relaxed).newValue
        do {
            try await waitUntilUnblocked(ticket: ticket, timeout: timeout)
        } catch {
            throw AMQPConnectionError(error)
        }
    }

    private func waitUntilUnblocked(ticket: UInt64, timeout: Duration) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                state.withLock { state in
                    if let finished = state.finished { return continuation.resume(throwing: finished) }
                    guard state.blockedReason != nil else { return continuation.resume() }
                    let deadline = ContinuousClock.now + timeout
                    state.unblockWaiters[ticket] = UnblockWaiter(continuation: continuation, deadline: deadline)
                    armWaiterDeadline(deadline, &state)
                }
                if Task.isCancelled { failUnblockWaiter(ticket, .cancelled) }
            }
        } onCancel: {
            afterCancellation { self.failUnblockWaiter(ticket, .cancelled) }
        }
    }

    /// Puts a channel in confirm mode with room for `window` unconfirmed publishes.
    func enableConfirms(on channel: UInt16, incarnation: UInt64, window: Int, timeout: Duration) async throws(AMQPConnectionError) {
        _ = try await waitForReply(operation: "confirm.select", timeout: timeout) { state throws(AMQPConnectionError) in
            try state.requireLive(channel, incarnation)
            let request = try state.request(.confirmSelect(ConfirmSelect()), on: channel)
            // Counting starts with the publishes queued after confirm.select, as the broker's does.
            if state.publishers[channel] == nil { state.publishers[channel] = PublisherState(tracker: ConfirmTracker(window: window)) }
            return request
        }
    }

    /// Publishes on a confirm-mode channel and waits for the broker's verdict.
    func publishConfirmed(on channel: UInt16, incarnation: UInt64, _ content: PublishContent, timeout: Duration) async throws(AMQPConnectionError) -> PublishConfirmation {
        let ticket = tickets.add(1, ordering: .relaxed).newValue
        do {
            return try await publishConfirmed(on: channel, incarnation: incarnation, content, timeout: timeout, ticket: ticket)
        } catch {
            throw AMQPConnectionError(error)
        }
    }

    private func publishConfirmed(
        on channel: UInt16, incarnation: UInt64, _ content: PublishContent, timeout: Duration, ticket: UInt64
    ) async throws -> PublishConfirmation {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PublishConfirmation, any Error>) in
                locked { state in
                    let index: Dictionary<UInt16, PublisherState>.Index
                    do throws(AMQPConnectionError) {
                        if let finished = state.finished { throw finished }
                        try state.requireLive(channel, incarnation)
                        guard let found = state.publishers.index(forKey: channel) else { throw .confirmsNotEnabled(channel: channel) }
                        index = found
                    } catch {
                        return continuation.resume(throwing: error)
                    }
                    let deadline = ContinuousClock.now + timeout
                    state.publishWaiters[ticket] = PublishWaiter(continuation: continuation, channel: channel, deadline: deadline)
                    let item = QueuedPublish(ticket: ticket, content: content)
                    if state.blockedReason == nil, state.publishers.values[index].queue.isEmpty, state.publishers.values[index].tracker.hasRoom {
                        send(item, on: channel, publisher: index, &state)
                    } else {
                        state.publishers.values[index].queue.append(item)
                    }
                    armWaiterDeadline(deadline, &state)
                }
                if Task.isCancelled { failPublishWaiter(ticket, .cancelled) }
            }
        } onCancel: {
            afterCancellation { self.failPublishWaiter(ticket, .cancelled) }
        }
    }

    /// Sends queued publishes while the window has room and the connection is not blocked.
    func sendQueuedPublishes(on channel: UInt16, _ state: inout State) {
        guard state.blockedReason == nil, let index = state.publishers.index(forKey: channel) else { return }
        // In place: a copy of the publisher state would copy its tracker and queue per publish.
        while state.publishers.values[index].tracker.hasRoom, let item = state.publishers.values[index].queue.popFirst() {
            // Waiters that timed out or were cancelled while queued are simply skipped.
            guard state.publishWaiters[item.ticket] != nil else { continue }
            send(item, on: channel, publisher: index, &state)
        }
    }

    /// Writes one confirmed publish and starts counting it, or fails its waiter.
    private func send(_ item: QueuedPublish, on channel: UInt16, publisher index: Dictionary<UInt16, PublisherState>.Index, _ state: inout State) {
        let mark = state.output.writerIndex
        do {
            try state.machine.requireOpen(channel)
            switch item.content {
            case .encoded(let frames):
                state.output.writeBuffer(frames)
            case .mandatory(let publish, var properties, let body):
                var headers = properties.headers ?? FieldTable()
                headers[ConfirmTracker.returnCorrelationHeader] = .int64(Int64(state.publishers.values[index].tracker.nextSequence))
                properties.headers = headers
                try state.encoder.encodeContent(channel: channel, method: .basicPublish(publish), properties: properties, body: body, into: &state.output)
            }
        } catch {
            state.output.moveWriterIndex(to: mark)
            state.publishWaiters.removeValue(forKey: item.ticket)?.continuation.resume(throwing: AMQPConnectionError(error))
            return
        }
        state.publishers.values[index].tracker.published(ticket: item.ticket)
        state.publishWaiters[item.ticket]?.sent = true
    }

    func settleConfirms(on channel: UInt16, deliveryTag: UInt64, multiple: Bool, ack: Bool, _ state: inout State) {
        guard let index = state.publishers.index(forKey: channel) else { return }
        // Moved out while the tracker (also in `state`) reports to it, then back: no copy.
        var waiters: [UInt64: PublishWaiter] = [:]
        swap(&waiters, &state.publishWaiters)
        state.publishers.values[index].tracker.confirmed(deliveryTag: deliveryTag, multiple: multiple, ack: ack) { ticket, outcome in
            waiters.removeValue(forKey: ticket)?.continuation.resume(returning: outcome)
        }
        swap(&waiters, &state.publishWaiters)
        sendQueuedPublishes(on: channel, &state)
    }

    /// Notes a `basic.return` of a confirmed mandatory publish, found by the sequence header it carries.
    func recordReturn(_ message: AMQPMessage, on channel: UInt16, _ state: inout State) {
        guard case .basicReturn(let basicReturn) = message.method, state.publishers[channel] != nil,
            let sequence = message.properties.headers?[ConfirmTracker.returnCorrelationHeader]?.integerValue, sequence > 0
        else { return }
        state.publishers[channel]!.tracker.returned(
            sequence: UInt64(sequence), replyCode: ReplyCode(rawValue: basicReturn.replyCode), replyText: basicReturn.replyText)
    }

    /// Fails every publish waiting on `channel`, sent or queued, and leaves confirm mode.
    func failPublishes(on channel: UInt16, _ error: AMQPConnectionError, _ state: inout State) {
        guard var publisher = state.publishers.removeValue(forKey: channel) else { return }
        var tickets = publisher.tracker.removeAll()
        publisher.queue.removeAll { tickets.append($0.ticket) }
        for ticket in tickets {
            state.publishWaiters.removeValue(forKey: ticket)?.continuation.resume(throwing: error)
        }
    }

    func unblocked(_ state: inout State) {
        for waiter in state.unblockWaiters.values { waiter.continuation.resume() }
        state.unblockWaiters = [:]
        for channel in Array(state.publishers.keys) { sendQueuedPublishes(on: channel, &state) }
    }

    /// Runs `body`, which takes the connection's lock, on the connection's loop. A cancellation
    /// handler runs with its task's status locked; taking the connection's lock there deadlocks
    /// with a thread that holds that lock while resuming the same task (a confirm settled just as
    /// its publisher is cancelled: both threads were seen waiting for each other).
    func afterCancellation(_ body: @escaping @Sendable () -> Void) {
        eventLoop.execute(body)
    }

    func failPublishWaiter(_ ticket: UInt64, _ error: AMQPConnectionError) {
        state.withLock { $0.publishWaiters.removeValue(forKey: ticket) }?.continuation.resume(throwing: error)
    }

    func failUnblockWaiter(_ ticket: UInt64, _ error: AMQPConnectionError) {
        state.withLock { $0.unblockWaiters.removeValue(forKey: ticket) }?.continuation.resume(throwing: error)
    }
}

extension FieldValue {
    /// The value of any integer type, widened to Int64; nil for other types.
    public var integerValue: Int64? {
        switch self {
        case .int8(let v): Int64(v)
        case .uint8(let v): Int64(v)
        case .int16(let v): Int64(v)
        case .uint16(let v): Int64(v)
        case .int32(let v): Int64(v)
        case .uint32(let v): Int64(v)
        case .int64(let v): v
        default: nil
        }
    }
}
