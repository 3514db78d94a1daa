import AMQPCodegen
import Foundation
import Testing

/// The committed generated sources must be exactly what the generator makes from the committed
/// spec; regenerate with `swift run amqp-codegen` when this fails.
@Suite struct GeneratedCodeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func committedGeneratedCodeIsUpToDate() throws {
        let spec = try Spec(json: Data(contentsOf: Self.root.appendingPathComponent("spec/amqp-rabbitmq-0.9.1.json")))
        let expected = try Generator(spec: spec).files()
        let directory = Self.root.appendingPathComponent("Sources/AMQP091/Generated")
        let committed = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }
        #expect(Set(committed) == Set(expected.keys), "generated file set differs")
        for (name, contents) in expected {
            let onDisk = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            #expect(onDisk == contents, "\(name) is stale: run swift run amqp-codegen")
        }
    }
}
