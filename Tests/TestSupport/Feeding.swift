import Testing

/// One way of handing a byte stream to a decoder: its chunks in order, named for failure messages.
///
/// Codecs are tested fed whole, byte by byte, and split in two at every position, since a decoder
/// must give the same values however its input arrives.
public struct Feeding: Sendable, CustomStringConvertible {
    public let description: String
    public let chunks: [ArraySlice<UInt8>]

    public init(_ description: String, chunks: [ArraySlice<UInt8>]) {
        self.description = description
        self.chunks = chunks
    }

    /// `bytes` whole, byte by byte, and in two chunks split at each of `splitPositions`.
    public static func all(of bytes: [UInt8]) -> [Feeding] {
        [whole(bytes), bytewise(bytes)] + splitPositions(bytes.count).map { split(bytes, at: $0) }
    }

    public static func whole(_ bytes: [UInt8]) -> Feeding {
        Feeding("whole", chunks: [bytes[...]])
    }

    public static func bytewise(_ bytes: [UInt8]) -> Feeding {
        Feeding("bytewise", chunks: bytes.indices.map { bytes[$0...$0] })
    }

    public static func split(_ bytes: [UInt8], at cut: Int) -> Feeding {
        Feeding("split at \(cut)", chunks: [bytes[..<cut], bytes[cut...]])
    }

    /// Where a stream of `count` bytes is split in two: at every inner position up to 4 KiB. A
    /// larger stream is split at every position of its first and last 256 bytes (its headers and
    /// its end) and at every 251st between: the stride is prime, so the cuts still fall at every
    /// phase of a repeating pattern, and the cost stays linear instead of quadratic in the size.
    public static func splitPositions(_ count: Int) -> [Int] {
        guard count > 4096 else { return Array(1..<max(count, 1)) }
        return Array(1..<256) + Array(stride(from: 256, to: count - 256, by: 251)) + Array((count - 256)..<count)
    }
}

/// Decodes `bytes` in every feeding of `Feeding.all(of:)` with `decode`, expects every feeding to
/// give what the whole stream gives, and returns that. Stops at the first feeding that differs.
@discardableResult
public func decodedEveryWay<Outcome: Equatable>(
    _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation, _ decode: ([ArraySlice<UInt8>]) -> Outcome
) -> Outcome {
    let whole = decode(Feeding.whole(bytes).chunks)
    for feeding in Feeding.all(of: bytes).dropFirst() {
        let outcome = decode(feeding.chunks)
        #expect(outcome == whole, "fed \(feeding)", sourceLocation: sourceLocation)
        if outcome != whole { break }
    }
    return whole
}

/// The bytes of hex text; spaces and line breaks are ignored, so vectors can be grouped by field.
public func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") })
    precondition(digits.count % 2 == 0, "odd number of hex digits in \(text)")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
}
