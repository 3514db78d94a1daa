import Foundation

/// Reads the inputs of a conformance vector file (`{"id": ..., "hex": "..."}` per line).
public enum VectorSeeds {
    /// The decoded `hex` fields of `path`, or none if the file cannot be read.
    public static func load(_ path: String) -> [[UInt8]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let key = line.firstRange(of: "\"hex\"") else { return nil }
            let rest = line[key.upperBound...].drop { $0 == ":" || $0 == " " }
            guard rest.first == "\"" else { return nil }
            return decodeHex(rest.dropFirst().prefix { $0 != "\"" })
        }
    }

    static func decodeHex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
