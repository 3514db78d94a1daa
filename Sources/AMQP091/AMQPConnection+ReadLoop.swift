import Bytes
import Transport

/// The reader task: socket bytes → frames → state machine → actions.
extension AMQPConnection {
    /// Reads straight into the frame decoder's buffer, decodes every whole frame outside the
    /// lock, then applies them all in one critical section: one lock per read rather than per
    /// frame. Nothing here waits for a consumer: deliveries are yielded to unbounded streams,
    /// whose size the broker's prefetch (`AMQPChannel.qos`) bounds.
    func readLoop() async {
        var decoder = FrameDecoder(maximumFrameSize: AMQPProtocol.frameMinSize)
        var frames: [AMQPFrame] = []
        var actions: [ConnectionStateMachine.Action] = []
        var limits = (frameMax: AMQPProtocol.frameMinSize, heartbeat: UInt16(0))
        do {
            while true {
                decoder.maximumFrameSize = limits.frameMax
                // Two missed server heartbeats mean the peer is gone.
                let silence: Duration? = limits.heartbeat > 0 ? .seconds(2 * Int(limits.heartbeat)) : nil
                decoder.reserveInputSpace(Self.readSpace)
                let count: Int
                do {
                    count = try await socket.read(into: &decoder.input, timeout: silence)
                } catch let error as TransportError where error.code == .timedOut {
                    throw AMQPConnectionError.connectionLost("missed heartbeats: nothing from the server for \(silence ?? .zero)", cause: error)
                }
                guard count > 0 else { throw AMQPConnectionError.connectionLost("server closed the socket") }
                var violation: AMQPError?
                do {
                    while let frame = try decoder.next() { frames.append(frame) }
                } catch {
                    violation = error
                }
                let finished = locked { state in
                    // Frames after the tune are sized by the limit applied at the next read: the
                    // server uses the negotiated frame_max only once it has our tune-ok.
                    for frame in frames {
                        state.machine.received(frame, into: &actions)
                        perform(actions, &state)
                        actions.removeAll(keepingCapacity: true)
                    }
                    if let violation {
                        // The stream cannot be resynchronised: send connection.close with the reply
                        // code, then finish without waiting for close-ok.
                        perform(state.machine.protocolViolation(violation), &state)
                        perform(state.machine.transportClosed(.protocolViolation(violation)), &state)
                    }
                    limits = (state.encoder.maximumFrameSize, state.heartbeat)
                    return state.finished != nil
                }
                // Let go of the frames' slices, so the next read can reuse the buffer's storage.
                frames.removeAll(keepingCapacity: true)
                if finished { return }
            }
        } catch {
            // A socket failure keeps its `TransportError` as the cause.
            abort(AMQPConnectionError(error))
        }
    }

    /// Free space wanted for each read: a busy consumer gets dozens of small deliveries per read.
    static let readSpace = 16_384
}
