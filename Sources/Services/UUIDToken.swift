import Foundation

/// Random tokens for claims and leases.
public enum UUIDToken {
    /// A fresh random (version 4) UUID string.
    public static func make() -> String { UUID().uuidString.lowercased() }
}
