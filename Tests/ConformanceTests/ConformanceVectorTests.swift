@testable import conformance
import Foundation
import Testing

/// Every vector file in `Tests/Vectors` run through the runner's own modes, fed whole and byte
/// by byte, and compared with its expected results, so `swift test` checks the vectors that
/// `scripts/conformance/all.sh` checks through the executable.
@Suite struct ConformanceVectorTests {
    static let vectors = "/" + "\(#filePath)".split(separator: "/").dropLast(2).joined(separator: "/") + "/Vectors"

    /// The vector files (`MODE.jsonl`, each with a `MODE.expected.jsonl`), by mode.
    static var modes: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: vectors)) ?? []
        return files.filter { $0.hasSuffix(".jsonl") && !$0.hasSuffix(".expected.jsonl") }
            .map { String($0.dropLast(".jsonl".count)) }.sorted()
    }

    /// One result object as canonical JSON text (sorted keys), so that files written with other
    /// spacing compare equal.
    static func canonical(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func everyProtocolHasVectors() {
        #expect(Set(Self.modes).isSuperset(of: ["amqp", "http", "resp", "resp-encode", "ws"]))
    }

    @Test(arguments: modes)
    func vectorsGiveTheExpectedResults(mode: String) throws {
        let expectedText = try String(contentsOfFile: "\(Self.vectors)/\(mode).expected.jsonl", encoding: .utf8)
        let expected = try expectedText.split(separator: "\n").filter { !$0.isEmpty }.map { line in
            try Self.canonical(JSONSerialization.jsonObject(with: Data(line.utf8)))
        }
        let feeds = ConformanceModes.decodingModes.contains(mode) ? ["whole", "bytewise"] : ["whole"]
        for feed in feeds {
            let results = try ConformanceModes.run(mode, ["\(Self.vectors)/\(mode).jsonl", "--feed", feed]).map(Self.canonical)
            #expect(results.count == expected.count, "\(mode) --feed \(feed)")
            for (result, expectation) in zip(results, expected) where result != expectation {
                Issue.record("\(mode) --feed \(feed):\n  expected \(expectation.prefix(600))\n  actual   \(result.prefix(600))")
            }
        }
    }
}
