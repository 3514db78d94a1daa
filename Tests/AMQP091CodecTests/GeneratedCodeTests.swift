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
        let sources = Self.root.appendingPathComponent("Sources")
        var committed: Set<String> = []
        for directory in Generator.directories {
            let names = try FileManager.default.contentsOfDirectory(atPath: sources.appendingPathComponent(directory).path)
            committed.formUnion(names.filter { $0.hasSuffix(".swift") }.map { "\(directory)/\($0)" })
        }
        #expect(committed == Set(expected.keys), "generated file set differs")
        for (path, contents) in expected {
            let onDisk = try? String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
            #expect(onDisk == contents, "\(path) is stale: run swift run amqp-codegen")
        }
    }
}
