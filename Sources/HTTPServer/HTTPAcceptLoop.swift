#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Bytes
import Transport

/// Accepting connections, and what the server does when it cannot.
extension HTTPServer {
    /// Waits after failed accepts: 5 ms doubling to 1 s, as Go's net/http does (nginx stops
    /// accepting for 500 ms), so a process out of descriptors neither spins nor stalls for long
    /// once descriptors are free again.
    static let acceptBackoff = Backoff(initial: .milliseconds(5), maximum: .seconds(1))
    /// Most waiting connections answered from the spare descriptor after one failure.
    static let maxAnsweredFromSpare = 64
    /// How long a connection answered from the spare descriptor may take to send its request,
    /// which is read before closing so that the close is not a reset. Short: the accept loop
    /// waits, and a connection that waited in the backlog has usually sent it already.
    static let spareAnswerWait = Duration.milliseconds(20)

    /// Accepts connections until `shutdown` is called (or the calling task is cancelled),
    /// serving each in its own task on the event loop that watches it.
    ///
    /// When accepting fails (out of descriptors, EMFILE or ENFILE, or out of memory), the
    /// failure is reported to `Configuration.log` and accepting resumes after a backoff. Out
    /// of descriptors, the spare descriptor is freed first to accept the connections waiting in
    /// the backlog one at a time and answer each 503, rather than leave them unanswered.
    public func run() async {
        var failures = 0
        while true {
            let connection: TCPConnection
            do {
                connection = try await listener.accept()
            } catch {
                if registry.isShuttingDown || Task.isCancelled { return }
                if case TransportError.Code.closed = error { return }
                failures += 1
                let delay = Self.acceptBackoff.delay(attempt: failures)
                var fields = ["error": "\(error)", "failures": String(failures),
                              "retry_in_ms": String(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)]
                if let error = error as? TransportError, error.errno == EMFILE || error.errno == ENFILE {
                    fields["answered_from_spare"] = String(await answerFromSpare())
                }
                report(.error, "accept failed", fields)
                if await registry.waitForShutdown(before: .now + delay, on: loop) { return }
                continue
            }
            if failures > 0 {
                report(.info, "accepting again", ["failures": String(failures)])
                failures = 0
                spare.reserve()
            }
            admit(connection)
        }
    }

    /// Starts the task that serves, or answers over the limit, a connection just accepted.
    private func admit(_ connection: TCPConnection) {
        let overLimit: Bool
        let id: Int
        let watch = HTTPConnectionWatch()
        switch registry.admit(connection, watch: watch) {
        case .serve(let served):
            (id, overLimit) = (served, false)
        case .overLimit(let answered, let limitReached):
            if limitReached {
                report(.warning, "connection limit reached", ["limit": String(connectionLimit)])
            }
            (id, overLimit) = (answered, true)
        case .close:
            connection.close()
            return
        }
        let task = Task(executorPreference: connection.eventLoop) {
            if overLimit && self.configuration.healthCheckPaths.isEmpty {
                await self.refuse(connection)
            } else {
                await self.serve(connection, watch: watch, overLimit: overLimit)
            }
            connection.close()
            self.registry.remove(id)
        }
        watch.attach(task)
        registry.attach(task, to: id)
    }

    /// Frees the spare descriptor, accepts the waiting connections one at a time (each takes
    /// the one free descriptor), answers each 503 and closes it, then takes the spare back.
    /// Returns how many were answered.
    private func answerFromSpare() async -> Int {
        // Not held when it could not be taken back last time: try again for the next failure.
        guard spare.release() else {
            spare.reserve()
            return 0
        }
        defer { spare.reserve() }
        var answered = 0
        while answered < Self.maxAnsweredFromSpare, let connection = try? await listener.accept(timeout: .zero) {
            let response = HTTPResponseEncoder.errorResponse(status: .serviceUnavailable, message: "too many connections",
                                                             version: nil, date: HTTPDate.now(), retryAfterSeconds: 1)
            // A fresh socket takes the answer at once. Reading what the client sent keeps the
            // close from turning into a reset, which can destroy the answer.
            if (try? await connection.write(response, timeout: Self.refusalTimeout)) != nil {
                var scratch = ByteBuffer()
                _ = try? await connection.read(into: &scratch, timeout: Self.spareAnswerWait)
            }
            connection.close()
            answered += 1
        }
        return answered
    }
}
