/// Character classes of RFC 9110/9112 as bit flags in a 256-entry table, so the hot loops test a
/// byte with one load and one mask instead of a chain of comparisons.
@usableFromInline package enum HTTPByteClass {
    /// `tchar`: bytes allowed in tokens (methods, header names, transfer codings).
    @inlinable package static var token: UInt8 { 1 << 0 }
    /// Bytes allowed inside a field value: VCHAR, obs-text, SP and HTAB (no other controls, no DEL).
    @inlinable package static var fieldValue: UInt8 { 1 << 1 }
    /// Bytes allowed in a request target: visible ASCII (no SP, no controls, no obs-text).
    @inlinable package static var target: UInt8 { 1 << 2 }
    /// Hexadecimal digits, for chunk sizes.
    @inlinable package static var hex: UInt8 { 1 << 3 }
    /// Bytes allowed inside a quoted-string apart from the backslash escape: qdtext.
    @inlinable package static var quotedText: UInt8 { 1 << 4 }

    /// The table, built once. It is immutable after initialisation, which is why sharing the raw
    /// pointer across threads is safe. Reading it from another module goes through the lazy
    /// global's accessor, so a loop reads it once into a local and passes that on.
    @usableFromInline nonisolated(unsafe) package static let table: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for byte in 0..<256 {
            let c = UInt8(byte)
            var flags: UInt8 = 0
            let isDigit = c >= 0x30 && c <= 0x39
            let isAlpha = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A
            if isDigit || isAlpha || "!#$%&'*+-.^_`|~".utf8.contains(c) { flags |= token }
            if c == 0x09 || c == 0x20 || (c >= 0x21 && c != 0x7F) { flags |= fieldValue }
            if c >= 0x21 && c <= 0x7E { flags |= target }
            if isDigit || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) { flags |= hex }
            if c == 0x09 || c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E) || c >= 0x80 {
                flags |= quotedText
            }
            table[byte] = flags
        }
        return UnsafePointer(table)
    }()
}

extension UInt8 {
    @inlinable package static var cr: UInt8 { UInt8(ascii: "\r") }
    @inlinable package static var lf: UInt8 { UInt8(ascii: "\n") }
    @inlinable package static var space: UInt8 { UInt8(ascii: " ") }
    @inlinable package static var tab: UInt8 { UInt8(ascii: "\t") }
    @inlinable package static var colon: UInt8 { UInt8(ascii: ":") }

    /// An ASCII decimal digit.
    @inlinable package var isDigit: Bool { self &- 0x30 < 10 }

    /// `tchar` of RFC 9110: the bytes of tokens (methods, field names, transfer codings).
    @inlinable package var isTokenByte: Bool { HTTPByteClass.table[Int(self)] & HTTPByteClass.token != 0 }

    /// The bytes of a field value or reason phrase: visible ASCII, obs-text, SP and HTAB.
    @inlinable package var isFieldValueByte: Bool { HTTPByteClass.table[Int(self)] & HTTPByteClass.fieldValue != 0 }
}

/// The index of the first byte in `p[start..<end]` that is not a token character, or `end`.
///
/// Kept out of line: inlined into the field scanner, the loop carried several induction
/// variables and took three times the instructions per byte. The caller passes the table it
/// holds, which spares a lazy global's check per call.
@inline(never)
package func tokenEnd(_ p: UnsafePointer<UInt8>, from start: Int, end: Int, table: UnsafePointer<UInt8> = HTTPByteClass.table) -> Int {
    var i = start
    while i < end && table[Int(p[i])] & HTTPByteClass.token != 0 { i &+= 1 }
    return i
}

/// The index of the first byte in `p[start..<end]` that may not appear in a field value (a control
/// character other than HTAB, or DEL), or `end`.
///
/// Values are the bulk of a header section, so they are checked eight bytes at a time: a word
/// with no byte below 0x20 and none equal to 0x7F is valid as a whole. Only words that might hold
/// one (HTAB gives a false alarm) are checked byte by byte, against the `table` the caller holds.
@inlinable @inline(__always)
package func firstInvalidFieldValueByte(
    _ p: UnsafePointer<UInt8>, from start: Int, end: Int, table: UnsafePointer<UInt8> = HTTPByteClass.table
) -> Int {
    let raw = UnsafeRawPointer(p)
    let high: UInt64 = 0x8080_8080_8080_8080
    var i = start
    while i &+ 8 <= end {
        let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        let belowSpace = (word &- 0x2020_2020_2020_2020) & ~word & high
        let flipped = word ^ 0x7F7F_7F7F_7F7F_7F7F
        let isDelete = (flipped &- 0x0101_0101_0101_0101) & ~flipped & high
        if belowSpace | isDelete != 0 {
            for j in i..<i &+ 8 where table[Int(p[j])] & HTTPByteClass.fieldValue == 0 { return j }
        }
        i &+= 8
    }
    while i < end && table[Int(p[i])] & HTTPByteClass.fieldValue != 0 { i &+= 1 }
    return i
}
