import Testing

extension Trait where Self == ConditionTrait {
    /// Runs the test only when `server` accepts connections, and skips it otherwise, except under
    /// `CI=true`, where an unreachable server fails the test with a message saying how to start it.
    ///
    /// ```swift
    /// @Test(.requires(.redis)) func ping() async throws { ... }
    /// ```
    public static func requires(_ server: TestServer) -> Self {
        .enabled(Comment(rawValue: server.unreachableMessage())) {
            try await server.checkAvailability()
        }
    }
}
