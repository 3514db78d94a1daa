/// Our side of the heartbeat: the server drops a connection it hears nothing from for two
/// intervals. (The other side, missed server heartbeats, is the reader's read timeout.)
extension AMQPConnection {
    /// Sends a heartbeat frame every half interval, so the server sees traffic well within its
    /// own timeout even when a beat is delayed.
    func startHeartbeats(every seconds: UInt16) -> Task<Void, Never> {
        Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500 * Int(seconds)))
                guard let self, !Task.isCancelled else { return }
                self.locked { state in
                    guard state.finished == nil else { return }
                    self.perform([.send([.heartbeat])], &state)
                }
            }
        }
    }
}
