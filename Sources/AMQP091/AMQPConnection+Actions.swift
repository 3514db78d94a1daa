import Bytes

/// Carrying out what the state machine decided, and finishing the connection.
extension AMQPConnection {
    /// Carries out the state machine's actions. Runs under the lock; resuming continuations and
    /// yielding to streams only schedules work, so nothing here blocks or re-enters.
    func perform(_ actions: [ConnectionStateMachine.Action], _ state: inout State) {
        for action in actions {
            switch action {
            case .sendProtocolHeader:
                state.output.writeBytes(AMQPProtocol.header)
            case .send(let frames):
                let mark = state.output.writerIndex
                do {
                    for frame in frames { try state.encoder.encode(frame, into: &state.output) }
                } catch {
                    // The machine's own frames are small and fixed, so this is a bug in them.
                    state.output.moveWriterIndex(to: mark)
                    perform(state.machine.protocolViolation(error), &state)
                    return
                }
            case .tuned(let negotiated):
                frameMax.store(Int(negotiated.frameMax), ordering: .relaxed)
                state.encoder.maximumFrameSize = Int(negotiated.frameMax)
                state.heartbeat = negotiated.heartbeat
                if negotiated.heartbeat > 0 { scheduleHeartbeat(&state) }
            case .connected:
                state.handshake?.resume()
                state.handshake = nil
            case .succeed(let id, let reply):
                let waiter = state.waiters.removeValue(forKey: id)
                waiter?.timeout?.cancel()
                waiter?.continuation.resume(returning: reply)
            case .fail(let id, let error):
                let waiter = state.waiters.removeValue(forKey: id)
                waiter?.timeout?.cancel()
                waiter?.continuation.resume(throwing: error)
            case .deliver(let channel, let message):
                if case .basicDeliver(let deliver) = message.method,
                    let consumer = state.consumers[ConsumerKey(channel: channel, tag: deliver.consumerTag)]
                        ?? state.cancelledConsumers[ConsumerKey(channel: channel, tag: deliver.consumerTag)]
                {
                    let handle = AMQPChannel(connection: self, number: channel, incarnation: state.liveChannels[channel] ?? 0)
                    state.consumerEffects.append(.deliver(consumer.queue, AMQPDelivery(message: message, deliver: deliver, channel: handle)))
                }
            case .returned(let channel, let message):
                recordReturn(message, on: channel, &state)
                eventSink.yield(.returned(channel: channel, message))
            case .confirm(let channel, let tag, let multiple, let ack):
                if state.publishers[channel] != nil {
                    // Tracked by `publishConfirmed`: its waiters get the outcome. An event for every
                    // confirm would only wake the readers of `events` for nothing.
                    settleConfirms(on: channel, deliveryTag: tag, multiple: multiple, ack: ack, &state)
                } else {
                    eventSink.yield(.confirm(channel: channel, deliveryTag: tag, multiple: multiple, ack: ack))
                }
            case .consumerCancelled(let channel, let tag):
                let key = ConsumerKey(channel: channel, tag: tag)
                let sink = state.consumers[key]
                state.endConsumers(matching: { $0 == key }, .consumerCancelled(channel: channel, consumerTag: tag))
                state.cancelledConsumers[key] = sink
            case .channelClosed(let channel, let error):
                state.endConsumers(matching: { $0.channel == channel }, error)
                if let incarnation = state.liveChannels.removeValue(forKey: channel) {
                    state.closeReasons[channel] = (incarnation, error)
                }
                failPublishes(on: channel, error, &state)
                eventSink.yield(.channelClosed(channel: channel, error))
            case .blocked(let reason):
                state.blockedReason = reason
                eventSink.yield(.blocked(reason: reason))
            case .unblocked:
                state.blockedReason = nil
                unblocked(&state)
                eventSink.yield(.unblocked)
            case .closed(let error):
                finish(error, &state)
            }
        }
    }

    /// How long the writer may take to flush the last frames (close-ok, say) once the connection
    /// has finished, before the socket is closed under it.
    static let drainTimeout: Duration = .seconds(2)

    private func finish(_ error: AMQPConnectionError?, _ state: inout State) {
        let failure = error ?? .closedByClient
        state.finished = failure
        state.heartbeatTimer?.cancel()
        for waiter in state.waiters.values {
            waiter.timeout?.cancel()
            waiter.continuation.resume(throwing: failure)
        }
        state.waiters = [:]
        state.liveChannels = [:]
        state.closeReasons = [:]
        for channel in Array(state.publishers.keys) { failPublishes(on: channel, failure, &state) }
        for waiter in state.publishWaiters.values { waiter.continuation.resume(throwing: failure) }
        state.publishWaiters = [:]
        for waiter in state.unblockWaiters.values { waiter.continuation.resume(throwing: failure) }
        state.unblockWaiters = [:]
        state.waiterDeadline?.timer.cancel()
        state.waiterDeadline = nil
        state.handshake?.resume(throwing: failure)
        state.handshake = nil
        for closing in state.closing {
            if let error { closing.resume(throwing: error) } else { closing.resume() }
        }
        state.closing = []
        state.endConsumers(matching: { _ in true }, error)
        eventSink.finish()
        // The writer drains what is queued (e.g. close-ok), then closes the socket, which also
        // ends the reader. A peer that stops reading could hold the writer forever, so the
        // socket is closed regardless once the drain has had its time.
        outputReady.finish()
        state.closeWatchdog = eventLoop.scheduleTask(in: Self.drainTimeout) { [socket] in socket.close() }
    }
}
