import AMQPCodegen
import Foundation

/// Regenerates `Sources/AMQP091/Generated/` and `Sources/AMQP091Reflection/Generated/` from the
/// spec: `swift run amqp-codegen [SPEC] [SOURCES-DIRECTORY]` (defaults: the repository's own paths).
let arguments = CommandLine.arguments.dropFirst()
let specPath = arguments.first ?? "spec/amqp-rabbitmq-0.9.1.json"
let sourcesPath = arguments.dropFirst().first ?? "Sources"

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
