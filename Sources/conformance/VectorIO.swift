import Bytes
import Foundation

/// How a vector's bytes are handed to a decoder.
enum FeedMode: String {
    /// All bytes in one call.
    case whole
    /// One byte per call, the worst fragmentation a decoder can see.
    case bytewise

    /// Parses `[--feed whole|bytewise]`; whole when absent.
    init(arguments: [String]) throws(ConformanceFailure) {
        guard let flag = arguments.firstIndex(of: "--feed") else {
            self = .whole
            return
        }
        guard flag + 1 < arguments.count, let mode = FeedMode(rawValue: arguments[flag + 1]) else {
            throw .usage("--feed takes whole or bytewise")
        }
        self = mode
    }

    /// The chunks in which `bytes` are fed.
    func chunks(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        switch self {
        case .whole: [bytes[...]]
        case .bytewise: bytes.indices.map { bytes[$0...$0] }
        }
    }
}

/// A failure of the runner itself (bad arguments or input file), as opposed to a vector's outcome.
enum ConformanceFailure: Error, CustomStringConvertible {
    case usage(String)
    case input(line: Int, String)

    var description: String {
        switch self {
        case .usage(let text): "usage: \(text)"
        case .input(let line, let text): "input line \(line): \(text)"
        }
    }
}

/// Reads a JSON Lines file of vectors and writes one JSON result line per vector.
enum VectorIO {
    /// The file's non-empty lines parsed as JSON objects, with their line numbers.
    static func objects(inFile path: String) throws(ConformanceFailure) -> [(line: Int, object: [String: Any])] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .usage("cannot read \(path)") }
        var result: [(line: Int, object: [String: Any])] = []
        for (index, text) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw .input(line: index + 1, "not a JSON object")
            }
            result.append((index + 1, object))
        }
        return result
    }

    /// The `hex` field of a vector decoded to bytes.
    static func hexField(_ object: [String: Any], _ key: String = "hex", line: Int) throws(ConformanceFailure) -> [UInt8] {
        guard let text = object[key] as? String, let bytes = Hex.decode(text) else {
            throw .input(line: line, "field '\(key)' must be a string of hex digit pairs")
        }
        return bytes
    }

    /// Prints `object` as one compact JSON line with keys sorted, so output is stable across runs.
    static func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            FileHandle.standardError.write(Data("conformance: result not representable as JSON\n".utf8))
            exit(1)
        }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// Lower-case hexadecimal text for byte strings.
enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text`, or nil when it is not pairs of hex digits (either case).
    static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = HexDigit.value(of: utf8[index]), let low = HexDigit.value(of: utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

}
