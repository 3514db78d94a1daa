import Dispatch

import Glibc

/// Waits for SIGINT or SIGTERM without blocking a thread of the cooperative pool: the signals are
/// ignored as process signals and delivered as dispatch source events instead.
public enum ShutdownSignal {
    /// Suspends until the process receives SIGINT or SIGTERM and returns the signal's name.
    public static func wait() async -> String {
        let names = AsyncStream<String> { continuation in
            let sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield(name) }
                source.resume()
                return source
            }
            let owned = SignalSources(sources: sources)
            continuation.onTermination = { _ in owned.sources.forEach { $0.cancel() } }
        }
        for await name in names { return name }
        return "cancelled"
    }
}

/// Carries the sources to the stream's termination handler. Dispatch sources are thread-safe
/// objects and only `cancel()` is called on them there, which is why the box may be `Sendable`.
private struct SignalSources: @unchecked Sendable {
    let sources: [any DispatchSourceSignal]
}
