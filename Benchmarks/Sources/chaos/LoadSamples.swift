import Foundation

/// What `chaos load` sampled while it ran, written for `chaos reconcile`: the inventory levels
/// and, when asked to watch it, the gateway's resident memory.
struct LoadSamples: Codable, Sendable {
    var inventory: InventorySamples
    var gatewayRSS: RSSSamples?

    static func read(from path: String) throws -> LoadSamples {
        try JSONDecoder().decode(LoadSamples.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func write(to path: String) throws {
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: path))
    }
}
