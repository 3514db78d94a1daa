import AMQPCodegen
import Foundation

/// Regenerates `Sources/AMQP091/Generated/` from the spec:
/// `swift run amqp-codegen [SPEC] [OUTPUT-DIRECTORY]` (defaults: the repository's own paths).
let arguments = CommandLine.arguments.dropFirst()
let specPath = arguments.first ?? "spec/amqp-rabbitmq-0.9.1.json"
let outputPath = arguments.dropFirst().first ?? "Sources/AMQP091/Generated"

do {
    guard let json = FileManager.default.contents(atPath: specPath) else {
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: specPath])
    }
    let files = try Generator(spec: Spec(json: json)).files()
    try FileManager.default.createDirectory(atPath: outputPath, withIntermediateDirectories: true)
    for (name, contents) in files.sorted(by: { $0.key < $1.key }) {
        try Data(contents.utf8).write(to: URL(fileURLWithPath: outputPath).appendingPathComponent(name))
        print("wrote \(outputPath)/\(name)")
    }
} catch {
    FileHandle.standardError.write(Data("amqp-codegen: \(error)\n".utf8))
    exit(1)
}
