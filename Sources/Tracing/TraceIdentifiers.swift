import Bytes

/// The 16-byte identifier of a trace, shared by all its spans. All zeros is invalid.
public struct TraceID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public let high: UInt64
    /// The last 8 bytes, big-endian; its low 56 bits are the trace's randomness for sampling.
    public let low: UInt64

    /// The identifier with these two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The invalid all-zero identifier, which no span has.
    public static let invalid = TraceID(high: 0, low: 0)

    /// Whether some byte is not zero.
    public var isValid: Bool { high | low != 0 }

    /// A new random identifier, drawn from `SystemRandomNumberGenerator`; never all zeros.
    public static func random() -> TraceID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new random identifier drawn from `generator`; never all zeros.
    public static func random(using generator: inout some RandomNumberGenerator) -> TraceID {
        while true {
            let id = TraceID(high: generator.next(), low: generator.next())
            if id.isValid { return id }
        }
    }

    /// Parses 32 lowercase hex digits, as in `traceparent` and OTLP JSON.
    public init?(hex: some StringProtocol) {
        var text = String(hex)
        let parsed = text.withUTF8 { utf8 -> TraceID? in
            guard utf8.count == 32, let high = parseLowercaseHex(utf8, 0, 16), let low = parseLowercaseHex(utf8, 16, 16) else { return nil }
            return TraceID(high: high, low: low)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// 32 lowercase hex digits.
    public var hexString: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            writeLowercaseHex(high, into: buffer, at: 0)
            writeLowercaseHex(low, into: buffer, at: 16)
            return 32
        }
    }

    public var description: String { hexString }

    public static func < (a: TraceID, b: TraceID) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

/// The 8-byte identifier of a span within its trace. All zeros is invalid.
public struct SpanID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 8 bytes, big-endian.
    public let value: UInt64

    /// The identifier with these bytes.
    public init(_ value: UInt64) {
        self.value = value
    }

    /// The invalid all-zero identifier.
    public static let invalid = SpanID(0)

    /// Whether some byte is not zero.
    public var isValid: Bool { value != 0 }

    /// A new random identifier, drawn from `SystemRandomNumberGenerator`; never all zeros.
    public static func random() -> SpanID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new random identifier drawn from `generator`; never all zeros.
    public static func random(using generator: inout some RandomNumberGenerator) -> SpanID {
        while true {
            let value: UInt64 = generator.next()
            if value != 0 { return SpanID(value) }
        }
    }

    /// Parses 16 lowercase hex digits.
    public init?(hex: some StringProtocol) {
        var text = String(hex)
        let parsed = text.withUTF8 { utf8 in utf8.count == 16 ? parseLowercaseHex(utf8, 0, 16) : nil }
        guard let parsed else { return nil }
        value = parsed
    }

    /// 16 lowercase hex digits.
    public var hexString: String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            writeLowercaseHex(value, into: buffer, at: 0)
            return 16
        }
    }

    public var description: String { hexString }

    public static func < (a: SpanID, b: SpanID) -> Bool { a.value < b.value }
}

/// The value of `count` (at most 16) lowercase hex digits at `start`, or nil when one is not a
/// lowercase hex digit (W3C Trace Context writes ids in lowercase only).
func parseLowercaseHex(_ utf8: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> UInt64? {
    guard start + count <= utf8.count else { return nil }
    var value: UInt64 = 0
    for index in start..<start + count {
        let byte = utf8[index]
        guard byte < UInt8(ascii: "A") || byte > UInt8(ascii: "F"), let digit = HexDigit.value(of: byte) else { return nil }
        value = value << 4 | UInt64(digit)
    }
    return value
}

private let lowercaseHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Writes `value` as 16 lowercase hex digits into `buffer` at `offset`.
func writeLowercaseHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
    for index in 0..<16 {
        let nibble = Int(truncatingIfNeeded: (value >> UInt64(60 - 4 * index)) & 0xF)
        buffer[offset + index] = lowercaseHexDigits[nibble]
    }
}
