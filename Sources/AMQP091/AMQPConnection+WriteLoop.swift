import Bytes
import Transport

/// The writer task: everything queued in `State.output` goes to the socket in order.
extension AMQPConnection {
    /// Writes whatever has accumulated in `State.output` in one go, so a burst of publishes or
    /// acks becomes a few large writes rather than one syscall per frame. Two buffers take
    /// turns, so their storage is reused instead of allocated per batch.
    ///
    /// Writes have no timeout while the connection is open: a broker that blocks publishers
    /// (`connection.blocked`) stops reading for as long as its alarm lasts, and that is no
    /// failure. A dead peer is found by the reader (missed heartbeats), which finishes the
    /// connection; from then on the drain is bounded by `drainTimeout` (see `finish`).
    func writeLoop(_ signals: AsyncStream<Void>) async {
        var batch = ByteBuffer()
        for await _ in signals {
            guard await drain(&batch) else { return }
        }
        // Finished: flush what the end queued (close-ok, close), then close the socket.
        _ = await drain(&batch)
        socket.close()
        state.withLock { $0.closeWatchdog?.cancel() }
    }

    /// Writes until the output is empty; false when the socket failed (the connection is then finished).
    private func drain(_ batch: inout ByteBuffer) async -> Bool {
        while true {
            state.withLock { swap(&$0.output, &batch) }
            if batch.readableBytes == 0 { return true }
            do {
                try await socket.write(batch)
            } catch {
                socket.close()
                abort(.connectionLost("\(error)", cause: error))
                return false
            }
            // Keeps the storage for the next turn, unless a rare burst made it large.
            if batch.capacity > Self.retainedOutputCapacity { batch = ByteBuffer() } else { batch.clear() }
        }
    }

    /// Largest output buffer kept between batches.
    static let retainedOutputCapacity = 1 << 20
}
