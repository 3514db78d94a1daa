import Bytes
import Transport

/// Running an upgraded connection: a reader driving the state machine, a writer draining the
/// queued frames, the keepalive timer, and the route's handler, until the connection ends.
extension WebSocket {
    /// Serves the connection: `received` holds bytes that came after the handshake's request.
    /// Returns once the connection has ended and the handler's task was cancelled (it may
    /// still be running, should it ignore cancellation; it can send nothing more).
    func run(received: ByteBuffer, handler: @escaping @Sendable (WebSocket) async throws -> Void) async {
        let firstPing = state.withLock { $0.keepalive.firstDeadline }
        schedule(.keepalive, at: firstPing) { [self] in keepaliveFired() }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.runWriter() }
            group.addTask {
                do {
                    try await handler(self)
                    self.startClosing(WebSocketCloseStatus(code: .normalClosure))
                } catch {
                    self.startClosing(WebSocketCloseStatus(code: .internalError))
                }
            }
            await runReader(received: received)
            await waitUntilEnded()
            group.cancelAll()
        }
    }

    /// Reads and decodes until the state machine is done: delivers messages to the handler
    /// (waiting while `maxQueuedMessages` wait), queues pongs and the closing frames.
    private func runReader(received: ByteBuffer) async {
        if received.readableBytes > 0 { heard(received) }
        while true {
            let action = state.withLock { $0.ended ? .close : $0.machine.nextAction() }
            switch action {
            case .read:
                var buffer = ByteBuffer()
                do {
                    // No timeout: the keepalive timer ends a silent connection, the closing
                    // timer one whose close is not answered.
                    if try await connection.read(into: &buffer) == 0 {
                        state.withLock { $0.machine.receivedEndOfStream() }
                    } else {
                        heard(buffer)
                    }
                } catch {
                    end(WebSocketCloseStatus(code: .abnormalClosure, reason: "connection lost"))
                    return
                }
            case .deliver(let message):
                await deliver(message)
            case .write(let pong):
                let writer = state.withLock { state in
                    state.pong = pong
                    return state.wakeWriter()
                }
                writer?.resume()
            case .writeAndClose(let close):
                // The writer ends the connection once the close frame is out.
                let writer = state.withLock { state in
                    state.queue(Outgoing(bytes: close, endsConnection: true))
                    return state.wakeWriter()
                }
                writer?.resume()
                return
            case .close:
                end(WebSocketCloseStatus(code: .abnormalClosure, reason: "connection closed"))
                return
            }
        }
    }

    private func heard(_ bytes: ByteBuffer) {
        let now = ContinuousClock.now
        state.withLock { state in
            state.machine.received(bytes)
            state.keepalive.heard(at: now)
        }
    }

    /// Hands `message` to the handler, waiting while the queue is full (or until the end).
    private func deliver(_ message: WebSocketMessage) async {
        while true {
            let (delivered, consumer) = state.withLock { state -> (Bool, CheckedContinuation<WebSocketMessage?, Never>?) in
                if state.ended { return (true, nil) }
                if let consumer = state.consumer {
                    state.consumer = nil
                    return (true, consumer)
                }
                guard state.inbound.count < configuration.maxQueuedMessages else { return (false, nil) }
                state.inbound.append(message)
                return (true, nil)
            }
            consumer?.resume(returning: message)
            if delivered { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { state in
                    guard !state.ended, state.inbound.count >= configuration.maxQueuedMessages else { return false }
                    state.reader = continuation
                    return true
                }
                if !wait { continuation.resume() }
            }
        }
    }

    /// Writes queued frames, control frames first, until the connection ends. A write that
    /// takes longer than `writeTimeout` ends the connection: the peer does not read.
    private func runWriter() async {
        while let frame = await nextFrame() {
            do {
                try await connection.write(frame.bytes, timeout: configuration.writeTimeout)
            } catch TransportError.Code.timedOut {
                end(WebSocketCloseStatus(code: .abnormalClosure, reason: "the peer did not read within the write timeout"))
                return
            } catch {
                end(WebSocketCloseStatus(code: .abnormalClosure, reason: "connection lost"))
                return
            }
            let sender = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if frame.isQueued { state.queuedBytes -= frame.bytes.readableBytes }
                return frame.sender.flatMap { state.senders.removeValue(forKey: $0) }
            }
            sender?.resume()
            if frame.endsConnection {
                end(WebSocketCloseStatus(code: .abnormalClosure, reason: "connection closed"))
                return
            }
        }
    }

    /// The next frame to write, or nil once the connection has ended.
    private func nextFrame() async -> Outgoing? {
        while true {
            let frame = state.withLock { state -> Outgoing?? in
                if state.ended { return .some(nil) }
                if let ping = state.ping {
                    state.ping = nil
                    return Outgoing(bytes: ping, isQueued: false)
                }
                if let pong = state.pong {
                    state.pong = nil
                    return Outgoing(bytes: pong, isQueued: false)
                }
                if let frame = state.frames.popFirst() { return frame }
                return nil
            }
            if let frame { return frame }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { state in
                    guard !state.ended, state.ping == nil, state.pong == nil, state.frames.isEmpty else { return false }
                    state.writer = continuation
                    return true
                }
                if !wait { continuation.resume() }
            }
        }
    }

    /// The keepalive timer fired: ping a silent peer, end one that did not answer, or wait.
    private func keepaliveFired() {
        let (decision, writer) = state.withLock { state -> (WebSocketKeepalive.Decision?, CheckedContinuation<Void, Never>?) in
            // Once closing, the closing timer bounds the connection.
            guard !state.ended, state.machine.isOpen else { return (nil, nil) }
            let decision = state.keepalive.due(at: .now)
            guard case .ping = decision, let ping = state.machine.ping() else { return (decision, nil) }
            state.ping = ping
            return (decision, state.wakeWriter())
        }
        writer?.resume()
        switch decision {
        case .wait(let until), .ping(let until):
            schedule(.keepalive, at: until) { [self] in keepaliveFired() }
        case .giveUp:
            end(WebSocketCloseStatus(code: .abnormalClosure, reason: "no answer to a ping within the pong timeout"))
        case nil:
            break
        }
    }
}
