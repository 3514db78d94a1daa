import Bytes
import Synchronization

/// Publisher confirms, the confirm window and `connection.blocked`, on `AMQPConnection`'s state.
///
/// A confirmed publish is queued per channel and sent, in order, once the channel has room in its
/// window and the server does not block the connection; so a burst waits in the client instead
/// of piling up in the broker. Its waiter lives until the broker's ack/nack, a deadline, a
/// cancellation, or the close of the channel or connection, whichever comes first.
extension AMQPConnection {
    struct PublisherState {
        var tracker: ConfirmTracker
        /// Publishes waiting for room or for the server to unblock, oldest first.
        var queue: [QueuedPublish] = []
    }

    struct QueuedPublish {
        let ticket: UInt64
        let publish: BasicPublish
        let properties: BasicProperties
        let body: ByteBuffer
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

    /// Returns at once when the connection is not blocked, otherwise when the server unblocks it.
    ///
    /// - Throws: `AMQPConnectionError.blockedTimedOut` after `timeout`, the connection's error
    ///   when it closes, `CancellationError`.
    public func waitUntilUnblocked(timeout: Duration = .seconds(30)) async throws {
        let ticket = tickets.add(1, ordering: .relaxed).newValue
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                state.withLock { state in
                    if let finished = state.finished { return continuation.resume(throwing: finished) }
                    guard state.blockedReason != nil else { return continuation.resume() }
                    state.unblockWaiters[ticket] = UnblockWaiter(continuation: continuation, deadline: .now + timeout)
                    startSweeper(&state)
                }
                if Task.isCancelled { failUnblockWaiter(ticket, CancellationError()) }
            }
        } onCancel: {
            failUnblockWaiter(ticket, CancellationError())
        }
    }

    /// Puts a channel in confirm mode with room for `window` unconfirmed publishes.
    func enableConfirms(on channel: UInt16, incarnation: UInt64, window: Int, timeout: Duration) async throws {
        _ = try await waitForReply(operation: "confirm.select", timeout: timeout) { state throws(AMQPConnectionError) in
            try state.requireLive(channel, incarnation)
            let request = try state.machine.request(.confirmSelect(ConfirmSelect()), on: channel)
            // Counting starts with the publishes queued after confirm.select, as the broker's does.
            if state.publishers[channel] == nil { state.publishers[channel] = PublisherState(tracker: ConfirmTracker(window: window)) }
            return request
        }
    }

    /// Publishes on a confirm-mode channel and waits for the broker's verdict.
    func publishConfirmed(
        on channel: UInt16, incarnation: UInt64, _ publish: BasicPublish, properties: BasicProperties, body: ByteBuffer,
        timeout: Duration
    ) async throws -> PublishConfirmation {
        let ticket = tickets.add(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PublishConfirmation, any Error>) in
                state.withLock { state in
                    do throws(AMQPConnectionError) {
                        if let finished = state.finished { throw finished }
                        try state.requireLive(channel, incarnation)
                        guard state.publishers[channel] != nil else { throw .confirmsNotEnabled(channel: channel) }
                    } catch {
                        return continuation.resume(throwing: error)
                    }
                    state.publishWaiters[ticket] = PublishWaiter(continuation: continuation, channel: channel, deadline: .now + timeout)
                    state.publishers[channel]!.queue.append(QueuedPublish(ticket: ticket, publish: publish, properties: properties, body: body))
                    sendQueuedPublishes(on: channel, &state)
                    startSweeper(&state)
                }
                if Task.isCancelled { failPublishWaiter(ticket, CancellationError()) }
            }
        } onCancel: {
            failPublishWaiter(ticket, CancellationError())
        }
    }

    /// Sends queued publishes while the window has room and the connection is not blocked.
    func sendQueuedPublishes(on channel: UInt16, _ state: inout State) {
        guard state.blockedReason == nil, var publisher = state.publishers[channel] else { return }
        defer { state.publishers[channel] = publisher }
        while publisher.tracker.hasRoom, !publisher.queue.isEmpty {
            let item = publisher.queue.removeFirst()
            // Waiters that timed out or were cancelled while queued are simply skipped.
            guard state.publishWaiters[item.ticket] != nil else { continue }
            var properties = item.properties
            if item.publish.mandatory {
                var headers = properties.headers ?? FieldTable()
                headers[ConfirmTracker.returnCorrelationHeader] = .int64(Int64(publisher.tracker.nextSequence))
                properties.headers = headers
            }
            do {
                try queueFrames(try state.machine.publish(item.publish, properties: properties, body: item.body, on: channel), &state)
            } catch {
                state.publishWaiters.removeValue(forKey: item.ticket)?.continuation.resume(throwing: error)
                continue
            }
            _ = publisher.tracker.published(ticket: item.ticket)
            state.publishWaiters[item.ticket]?.sent = true
        }
    }

    func settleConfirms(on channel: UInt16, deliveryTag: UInt64, multiple: Bool, ack: Bool, _ state: inout State) {
        guard state.publishers[channel] != nil else { return }
        for (ticket, outcome) in state.publishers[channel]!.tracker.confirmed(deliveryTag: deliveryTag, multiple: multiple, ack: ack) {
            state.publishWaiters.removeValue(forKey: ticket)?.continuation.resume(returning: outcome)
        }
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
        let tickets = publisher.tracker.removeAll() + publisher.queue.map(\.ticket)
        for ticket in tickets {
            state.publishWaiters.removeValue(forKey: ticket)?.continuation.resume(throwing: error)
        }
    }

    func unblocked(_ state: inout State) {
        for waiter in state.unblockWaiters.values { waiter.continuation.resume() }
        state.unblockWaiters = [:]
        for channel in Array(state.publishers.keys) { sendQueuedPublishes(on: channel, &state) }
    }

    private func failPublishWaiter(_ ticket: UInt64, _ error: any Error) {
        state.withLock { $0.publishWaiters.removeValue(forKey: ticket) }?.continuation.resume(throwing: error)
    }

    private func failUnblockWaiter(_ ticket: UInt64, _ error: any Error) {
        state.withLock { $0.unblockWaiters.removeValue(forKey: ticket) }?.continuation.resume(throwing: error)
    }

    /// One task checks every deadline each 50 ms, rather than a timer task per publish, which
    /// would cost more than the publish itself.
    private func startSweeper(_ state: inout State) {
        guard state.sweeper == nil else { return }
        state.sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                guard let self else { return }
                self.failExpiredWaiters(now: .now)
            }
        }
    }

    private func failExpiredWaiters(now: ContinuousClock.Instant) {
        state.withLock { state in
            for (ticket, waiter) in state.publishWaiters where waiter.deadline <= now {
                state.publishWaiters[ticket] = nil
                let error: AMQPConnectionError =
                    if waiter.sent { .timedOut(operation: "publisher confirm") }
                    else if let reason = state.blockedReason { .blockedTimedOut(reason: reason) }
                    else { .timedOut(operation: "publish waiting for room in the confirm window") }
                waiter.continuation.resume(throwing: error)
            }
            for (ticket, waiter) in state.unblockWaiters where waiter.deadline <= now {
                state.unblockWaiters[ticket] = nil
                waiter.continuation.resume(throwing: AMQPConnectionError.blockedTimedOut(reason: state.blockedReason ?? ""))
            }
        }
    }
}

extension AMQPConnection.State {
    /// Throws unless the channel numbered `channel` is still the incarnation a handle refers to.
    func requireLive(_ channel: UInt16, _ incarnation: UInt64) throws(AMQPConnectionError) {
        guard liveChannels[channel] == incarnation else {
            throw closeReasons[incarnation] ?? .channelNotOpen(channel)
        }
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
