import Foundation

/// Facts about the environment the tests run in.
public enum TestEnvironment {
    /// Whether the `CI` environment variable is `true`.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}
