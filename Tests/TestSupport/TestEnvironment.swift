import Foundation

/// Facts about the environment the tests run in.
public enum TestEnvironment {
    /// Whether `CI` is `true` in `environment`, the process's own by default.
    public static func isCI(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["CI"] == "true"
    }
}
