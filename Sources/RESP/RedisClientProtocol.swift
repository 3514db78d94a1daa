/// A long-lived Redis client: a pool of connections whose readers, writers and reconnects run in
/// `run()`. Start `run()` in a task group next to the work that uses the client and cancel it
/// to stop the client; commands sent meanwhile wait for it to run.
///
/// ```swift
/// let redis = try RedisClient(url: "redis://127.0.0.1:6379")
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await redis.run() }
///     try await redis.set("greeting", to: "hello")
///     group.cancelAll()
/// }
/// // or, for a client used by one piece of code:
/// try await redis.withRunning { redis in try await redis.get("greeting") }
/// ```
public protocol RedisClientProtocol: RedisCommandSender {
    /// Runs the client's background work until the calling task is cancelled; then closes every
    /// connection, and commands fail with `RedisClientError.Code.connectionClosed`.
    func run() async

    /// A subscriber for pub/sub on the same deployment; run it with its own `run()`.
    func makeSubscriber() -> RedisSubscriber
}

extension RedisClientProtocol {
    /// Runs `body` while `run()` runs in a child task, and stops the client when `body` returns
    /// or throws. `body` may throw any error, which is rethrown.
    public func withRunning<Result, Failure: Error>(_ body: (Self) async throws(Failure) -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }
}
