/// Decoding of `%XX` escapes, as URLs (RFC 3986) and HTML form queries write bytes: one
/// decoder for the URLs the clients parse and the paths and queries the HTTP server reads.
public enum PercentEncoding {
    /// A malformed escape, or decoded bytes that are not UTF-8.
    public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// UTF-8 offset in the text of the `%` that starts the malformed escape; for invalid
        /// UTF-8, the offset of the escape whose byte made it invalid.
        public var offset: Int

        /// An error at `offset`.
        public init(offset: Int) { self.offset = offset }

        public var description: String { "malformed percent-encoding at offset \(offset)" }
    }

    /// Decodes `text` strictly: every `%` must start two hex digits and the result must be UTF-8.
    /// - Parameter plusAsSpace: read `+` as a space (HTML form queries).
    public static func decode(_ text: some StringProtocol, plusAsSpace: Bool = false) throws(DecodingError) -> String {
        var bytes: [UInt8] = []
        var lastEscape = 0
        try decode(text, plusAsSpace: plusAsSpace, into: &bytes) { offset throws(DecodingError) in throw DecodingError(offset: offset) } escaped: { lastEscape = $0 }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw DecodingError(offset: lastEscape) }
        return decoded
    }

    /// Decodes `text` as browsers and servers read query strings: a malformed escape is kept as
    /// it is, and bytes that are not UTF-8 become U+FFFD.
    public static func decodeLeniently(_ text: some StringProtocol, plusAsSpace: Bool = false) -> String {
        var bytes: [UInt8] = []
        decode(text, plusAsSpace: plusAsSpace, into: &bytes) { _ in } escaped: { _ in }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the decoded bytes of `text` to `bytes`; calls `malformed` with the offset of each
    /// malformed escape (whose `%` is then kept as a literal byte) and `escaped` with the offset
    /// of each decoded escape.
    private static func decode<E: Error>(
        _ text: some StringProtocol, plusAsSpace: Bool, into bytes: inout [UInt8],
        malformed: (Int) throws(E) -> Void, escaped: (Int) -> Void
    ) throws(E) {
        let utf8 = Array(text.utf8)
        bytes.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                if index + 2 < utf8.count, let high = HexDigit.value(of: utf8[index + 1]), let low = HexDigit.value(of: utf8[index + 2]) {
                    escaped(index)
                    bytes.append(high << 4 | low)
                    index += 3
                    continue
                }
                try malformed(index)
            }
            bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
    }
}
