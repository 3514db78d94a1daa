/// Checks UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF) a piece at
/// a time, so a text message split across frames and reads is checked as its bytes arrive and
/// fails at the first byte that cannot start or continue a valid sequence.
struct WebSocketUTF8Validator: Sendable {
    /// Continuation bytes still expected in the current sequence.
    private var needed = 0
    /// The range the next continuation byte must lie in; narrower than 0x80...0xBF right after
    /// E0, ED, F0 and F4, which is what rules out overlong forms, surrogates and values beyond
    /// U+10FFFF at the earliest byte.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Whether the bytes so far end at a character boundary.
    var isAtBoundary: Bool { needed == 0 }

    /// Forgets the current sequence, for the next message.
    mutating func reset() {
        needed = 0
        lower = 0x80
        upper = 0xBF
    }

    /// Checks `bytes` as the continuation of those checked before; returns the index in `bytes`
    /// of the first byte that makes the text invalid, or nil.
    mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            if needed == 0 {
                // ASCII runs, eight bytes at a time.
                while index &+ 8 <= count, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    index &+= 8
                }
                guard index < count else { return nil }
                let byte = bytes[index]
                switch byte {
                case 0x00...0x7F: break
                case 0xC2...0xDF: expect(1, 0x80, 0xBF)
                case 0xE0: expect(2, 0xA0, 0xBF)
                case 0xED: expect(2, 0x80, 0x9F)
                case 0xE1...0xEF: expect(2, 0x80, 0xBF)
                case 0xF0: expect(3, 0x90, 0xBF)
                case 0xF1...0xF3: expect(3, 0x80, 0xBF)
                case 0xF4: expect(3, 0x80, 0x8F)
                default: return index
                }
            } else {
                let byte = bytes[index]
                guard byte >= lower && byte <= upper else { return index }
                needed &-= 1
                lower = 0x80
                upper = 0xBF
            }
            index &+= 1
        }
        return nil
    }

    private mutating func expect(_ count: Int, _ lower: UInt8, _ upper: UInt8) {
        needed = count
        self.lower = lower
        self.upper = upper
    }
}
