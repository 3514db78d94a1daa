import Bytes
import Foundation
import RESP

/// `resp` and `resp-encode` modes: RESP2 reply decoding and command encoding vectors.
enum RESPConformance {
    /// Decodes each vector's `hex` bytes: the values and how the stream ended, per vector.
    static func decode(_ arguments: [String]) throws(ConformanceFailure) -> [[String: Any]] {
        var results: [[String: Any]] = []
        guard let path = arguments.first else { throw .usage("conformance resp FILE [--feed whole|bytewise]") }
        let feed = try FeedMode(arguments: arguments)
        for (line, object) in try VectorIO.objects(inFile: path) {
            let bytes = try VectorIO.hexField(object, line: line)
            var decoder = RESPDecoder()
            var values: [Any] = []
            var result: [String: Any] = ["id": object["id"] ?? NSNull()]
            do {
                for chunk in feed.chunks(of: bytes) {
                    decoder.feed(chunk)
                    while let value = try decoder.next() { values.append(json(value)) }
                }
                result["end"] = decoder.hasPartialValue ? "incomplete" : "complete"
            } catch {
                result["end"] = "error"
                result["message"] = error.description
            }
            result["values"] = values
            results.append(result)
        }
        return results
    }

    /// Encodes each vector's `args` (hex strings) as a command: its bytes, per vector.
    static func encode(_ arguments: [String]) throws(ConformanceFailure) -> [[String: Any]] {
        var results: [[String: Any]] = []
        guard let path = arguments.first else { throw .usage("conformance resp-encode FILE") }
        for (line, object) in try VectorIO.objects(inFile: path) {
            guard let texts = object["args"] as? [String] else {
                throw .input(line: line, "field 'args' must be an array of hex strings")
            }
            var commandArguments: [ByteBuffer] = []
            for text in texts {
                guard let bytes = Hex.decode(text) else { throw .input(line: line, "argument '\(text)' is not hex") }
                commandArguments.append(ByteBuffer(bytes: bytes))
            }
            var result: [String: Any] = ["id": object["id"] ?? NSNull()]
            var encoded = ByteBuffer()
            do {
                try RESPEncoder.encodeCommand(commandArguments, into: &encoded)
                result["hex"] = Hex.encode(encoded.readableBytesView)
            } catch {
                result["error"] = error.description
            }
            results.append(result)
        }
        return results
    }

    /// The JSON form of a value used by the vector files.
    private static func json(_ value: RESPValue) -> [String: Any] {
        switch value {
        case .simpleString(let text): ["simple": String(describing: text)]
        case .error(let text): ["error": String(describing: text)]
        case .integer(let number): ["int": number]
        case .bulkString(let bytes): ["bulk": Hex.encode(bytes.readableBytesView)]
        case .nullBulkString: ["null": "bulk"]
        case .array(let elements): ["array": elements.map(json)]
        case .nullArray: ["null": "array"]
        }
    }
}
