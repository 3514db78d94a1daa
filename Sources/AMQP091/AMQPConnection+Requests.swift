import Bytes
import Synchronization

/// Requests on channels, for `AMQPChannel`: synchronous ones that wait for a reply, and those
/// that get none (acks, publishes).
extension AMQPConnection {
    /// Registers a waiter and queues the request in one critical section, then waits for the reply.
    ///
    /// `register` registers the request with the state machine and encodes its frame into the
    /// output, all or nothing (see `State.request`), and returns the request id, nil when no
    /// reply is expected; the result is then nil.
    func waitForReply(
        operation: String, timeout: Duration, _ register: @escaping (inout State) throws(AMQPConnectionError) -> RequestID?
    ) async throws(AMQPConnectionError) -> Reply? {
        let ticket = Mutex<(id: RequestID?, cancelled: Bool)>((nil, false))
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Reply?, any Error>) in
                    let registered: RequestID? = locked { state in
                        do throws(AMQPConnectionError) {
                            if let finished = state.finished { throw finished }
                            guard let id = try register(&state) else {
                                continuation.resume(returning: nil)
                                return nil
                            }
                            state.waiters[id] = Waiter(continuation: continuation)
                            return id
                        } catch {
                            continuation.resume(throwing: error)
                            return nil
                        }
                    }
                    guard let id = registered else { return }
                    let cancelled = ticket.withLock { ticket in
                        ticket.id = id
                        return ticket.cancelled
                    }
                    if cancelled { return fail(id, AMQPConnectionError.cancelled) }
                    let timer = eventLoop.scheduleTask(in: timeout) { [weak self] in self?.fail(id, AMQPConnectionError.timedOut(operation: operation)) }
                    state.withLock { state in
                        if state.waiters[id] != nil { state.waiters[id]!.timeout = timer } else { timer.cancel() }
                    }
                }
            } onCancel: {
                let id = ticket.withLock { ticket in
                    ticket.cancelled = true
                    return ticket.id
                }
                if let id { afterCancellation { self.fail(id, AMQPConnectionError.cancelled) } }
            }
        } catch {
            throw AMQPConnectionError(error)
        }
    }

    /// Queues a method that gets no reply (ack, nack, reject, `nowait` methods) on the channel
    /// `incarnation` names.
    func sendWithoutReply(_ method: AMQPMethod, on channel: UInt16, incarnation: UInt64) throws(AMQPConnectionError) {
        try locked { state throws(AMQPConnectionError) in
            if let finished = state.finished { throw finished }
            try state.requireLive(channel, incarnation)
            _ = try state.request(method, on: channel)
        }
    }

    /// Queues a publish whose frames `encoded` holds (encoded by the caller, outside the lock).
    /// On a confirm-mode channel it takes the next sequence number, like every publish there.
    func sendPublish(_ encoded: ByteBuffer, on channel: UInt16, incarnation: UInt64) throws(AMQPConnectionError) {
        try locked { state throws(AMQPConnectionError) in
            if let finished = state.finished { throw finished }
            try state.requireLive(channel, incarnation)
            try state.machine.requireOpen(channel)
            state.output.writeBuffer(encoded)
            state.publishers[channel]?.tracker.published(ticket: nil)
        }
    }

    /// Forgets a channel the client closed: its consumers end, its pending confirms fail.
    func channelClosedByClient(_ channel: UInt16, incarnation: UInt64) {
        locked { state in
            guard state.liveChannels[channel] == incarnation else { return }
            state.liveChannels[channel] = nil
            state.endConsumers(matching: { $0.channel == channel }, nil)
            failPublishes(on: channel, .channelNotOpen(channel), &state)
        }
    }

    /// Fails one waiter; its reply, should it still come, is dropped by the state machine's bookkeeping.
    func fail(_ id: RequestID, _ error: AMQPConnectionError) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.timeout?.cancel()
        waiter?.continuation.resume(throwing: error)
    }
}

extension AMQPConnection.State {
    /// Throws unless the channel numbered `channel` is still the incarnation a handle refers to.
    func requireLive(_ channel: UInt16, _ incarnation: UInt64) throws(AMQPConnectionError) {
        guard liveChannels[channel] == incarnation else {
            if let reason = closeReasons[channel], reason.incarnation == incarnation { throw reason.error }
            throw .channelNotOpen(channel)
        }
    }

    /// Registers `method` with the state machine and encodes its frame into the output, all or
    /// nothing: a method that cannot be encoded (a name over 255 bytes, say) throws
    /// `.invalidMethod` and leaves no waiter behind, and one the machine refuses leaves no bytes.
    /// Encoding first is what lets a single encoding both validate and send.
    mutating func request(_ method: AMQPMethod, on channel: UInt16) throws(AMQPConnectionError) -> RequestID? {
        let mark = output.writerIndex
        do throws(AMQPError) {
            try encoder.encode(.method(channel: channel, method), into: &output)
        } catch {
            throw .invalidMethod(error)
        }
        do throws(AMQPConnectionError) {
            return try machine.request(method, on: channel)
        } catch {
            output.moveWriterIndex(to: mark)
            throw error
        }
    }
}
