/// Base64 with the standard alphabet and `=` padding (RFC 4648 §4), as WebSocket's
/// `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` and HTTP's Basic credentials write bytes.
public enum Base64 {
    /// Text that is not canonical base64.
    public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// UTF-8 offset in the text of the first character that makes it invalid; the text's
        /// length when it ends too early.
        public var offset: Int

        /// An error at `offset`.
        public init(offset: Int) { self.offset = offset }

        public var description: String { "invalid base64 at offset \(offset)" }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The value of each byte as a base64 digit, 0xFF for bytes outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, digit) in alphabet.enumerated() { table[Int(digit)] = UInt8(value) }
        return table
    }()

    /// `bytes` as padded base64 text.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let count = min(3, input.count - index)
            var group = UInt32(input[index]) << 16
            if count > 1 { group |= UInt32(input[index + 1]) << 8 }
            if count > 2 { group |= UInt32(input[index + 2]) }
            for digit in 0..<4 {
                output.append(digit <= count ? alphabet[Int(group >> UInt32(18 - 6 * digit) & 0x3F)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes `text` strictly: a whole number of four-character groups from the standard
    /// alphabet, padding only at the end, and no bits set in the padding (so every byte string
    /// has exactly one accepted spelling). Whitespace and line breaks are not skipped.
    public static func decode(_ text: some StringProtocol) throws(DecodingError) -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count % 4 == 0 else {
            // Report the first character that is wrong in itself before the length.
            if let bad = utf8.firstIndex(where: { values[Int($0)] == 0xFF && $0 != UInt8(ascii: "=") }) {
                throw DecodingError(offset: bad)
            }
            throw DecodingError(offset: utf8.count)
        }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 4 * 3)
        var index = 0
        while index < utf8.count {
            let isLast = index + 4 == utf8.count
            var group: UInt32 = 0
            var digits = 0
            for position in index..<index + 4 {
                let byte = utf8[position]
                let value = values[Int(byte)]
                if value != 0xFF {
                    // A digit after padding has started.
                    guard digits == position - index else { throw DecodingError(offset: position) }
                    group = group << 6 | UInt32(value)
                    digits += 1
                } else if byte == UInt8(ascii: "=") && isLast && position - index >= 2 {
                    group <<= 6
                } else {
                    throw DecodingError(offset: position)
                }
            }
            switch digits {
            case 4:
                output += [UInt8(truncatingIfNeeded: group >> 16), UInt8(truncatingIfNeeded: group >> 8), UInt8(truncatingIfNeeded: group)]
            case 3:
                guard group & 0xFF == 0 else { throw DecodingError(offset: index + 2) }
                output += [UInt8(truncatingIfNeeded: group >> 16), UInt8(truncatingIfNeeded: group >> 8)]
            default:
                guard group & 0xFFFF == 0 else { throw DecodingError(offset: index + 1) }
                output.append(UInt8(truncatingIfNeeded: group >> 16))
            }
            index += 4
        }
        return output
    }
}
