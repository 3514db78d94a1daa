import AMQPCodegen
import CommandLineOptions
import Foundation

/// Regenerates `Sources/AMQP091/Generated/` and `Sources/AMQP091Reflection/Generated/` from the
/// spec: `swift run amqp-codegen [SPEC] [SOURCES-DIRECTORY]` (defaults: the repository's own paths).
let parsed = CommandSyntax(
    "amqp-codegen",
    summary: "writes the AMQP 0-9-1 codec (AMQP091/Generated) and its reflection (AMQP091Reflection/Generated) from the spec",
    arguments: [
        .init("SPEC", "the RabbitMQ spec as JSON (default spec/amqp-rabbitmq-0.9.1.json)", optional: true),
        .init("SOURCES", "the folder holding the AMQP091 and AMQP091Reflection targets (default Sources)", optional: true),
    ]
).parseOrExit()
let specPath = parsed.arguments.first ?? "spec/amqp-rabbitmq-0.9.1.json"
let sourcesPath = parsed.arguments.dropFirst().first ?? "Sources"

do {
    guard let json = FileManager.default.contents(atPath: specPath) else {
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: specPath])
    }
    let files = try Generator(spec: Spec(json: json)).files()
    let root = URL(fileURLWithPath: sourcesPath)
    for (path, contents) in files.sorted(by: { $0.key < $1.key }) {
        let file = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: file)
        print("wrote \(sourcesPath)/\(path)")
    }
} catch {
    FileHandle.standardError.write(Data("amqp-codegen: \(error)\n".utf8))
    exit(1)
}
