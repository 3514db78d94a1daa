/// Our side of the heartbeat: the server drops a connection it hears nothing from for two
/// intervals. (The other side, missed server heartbeats, is the reader's read timeout.)
extension AMQPConnection {
    /// Schedules the next heartbeat frame half an interval from now, so the server sees traffic
    /// well within its own timeout even when a beat is delayed. A timer of the socket's loop,
    /// which schedules the one after it when it fires; `finish` cancels the pending one.
    func scheduleHeartbeat(_ state: inout State) {
        state.heartbeatTimer = eventLoop.scheduleTask(in: .milliseconds(500 * Int(state.heartbeat))) { [weak self] in
            guard let self else { return }
            self.locked { state in
                guard state.finished == nil else { return }
                self.perform([.send([.heartbeat])], &state)
                self.scheduleHeartbeat(&state)
            }
        }
    }
}
