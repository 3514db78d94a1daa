import HTTPCodec
import Testing

/// The byte classes against RFC 9110's definitions, and the scans that use them at every
/// position of a run, so the eight-bytes-at-a-time path and the tail meet every byte.
@Suite struct HTTPByteClassTests {
    static let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    /// VCHAR, obs-text, SP and HTAB.
    static func isFieldValue(_ byte: UInt8) -> Bool { byte == 0x09 || byte == 0x20 || (0x21...0x7E).contains(byte) || byte >= 0x80 }

    @Test func classesFollowTheRFC() {
        for value in 0...255 {
            let byte = UInt8(value)
            #expect(byte.isTokenByte == Self.tchar.contains(byte), "token \(value)")
            #expect(byte.isFieldValueByte == Self.isFieldValue(byte), "field value \(value)")
            #expect(byte.isDigit == (0x30...0x39).contains(byte), "digit \(value)")
        }
    }

    @Test func scansStopAtTheFirstByteOutsideTheClass() {
        for value in 0...255 {
            let byte = UInt8(value)
            for position in 0..<19 {
                var run = [UInt8](repeating: UInt8(ascii: "a"), count: 19)
                run[position] = byte
                run.withUnsafeBufferPointer { p in
                    let base = p.baseAddress!
                    #expect(tokenEnd(base, from: 0, end: 19) == (byte.isTokenByte ? 19 : position))
                    #expect(firstInvalidFieldValueByte(base, from: 0, end: 19) == (byte.isFieldValueByte ? 19 : position))
                }
            }
        }
    }
}
