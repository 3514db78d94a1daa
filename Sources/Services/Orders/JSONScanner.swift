/// A strict RFC 8259 reader over UTF-8 bytes, for the flat documents the gateway and processor
/// read on every order. It reads values in document order without building a tree: the caller
/// asks for the next token it expects and skips what it does not want. Any departure from the
/// grammar (bad escapes, lone surrogates, invalid UTF-8, leading zeros, trailing commas, control
/// characters in strings, nesting deeper than `maxDepth`) throws `Malformed` with the offset.
/// It reads borrowed bytes, so it lives only inside a `withUnsafeBufferPointer` scope.
struct JSONScanner {
    /// Where the document stopped being JSON.
    struct Malformed: Error, Equatable {
        let offset: Int
    }

    /// What the next value is, judged by its first byte.
    enum Kind {
        case string, number, object, array, literal
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var offset: Int
    private let maxDepth: Int

    /// A scanner over `bytes`, which must outlive it.
    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 64) {
        self.bytes = bytes
        offset = bytes.startIndex
        self.maxDepth = maxDepth
    }

    /// Skips whitespace and reports the next value's kind without consuming it.
    mutating func peekKind() throws(Malformed) -> Kind {
        skipWhitespace()
        guard offset < bytes.endIndex else { throw Malformed(offset: offset) }
        switch bytes[offset] {
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): return .literal
        default: throw Malformed(offset: offset)
        }
    }

    /// Consumes `byte` after optional whitespace.
    mutating func expect(_ byte: UInt8) throws(Malformed) {
        skipWhitespace()
        guard offset < bytes.endIndex, bytes[offset] == byte else { throw Malformed(offset: offset) }
        offset += 1
    }

    /// Consumes `byte` after optional whitespace when it is next; reports whether it was.
    mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard offset < bytes.endIndex, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    /// Checks that only whitespace follows.
    mutating func expectEnd() throws(Malformed) {
        skipWhitespace()
        guard offset == bytes.endIndex else { throw Malformed(offset: offset) }
    }

    /// Reads `null` when it is next; reports whether it was.
    mutating func takeNull() throws(Malformed) -> Bool {
        guard try peekKind() == .literal, bytes[offset] == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// Reads a string, unescaped.
    mutating func readString() throws(Malformed) -> String {
        try expect(UInt8(ascii: "\""))
        let start = offset
        // Most strings have no escapes: they become a String straight from the input.
        while offset < bytes.endIndex, bytes[offset] != UInt8(ascii: "\""), bytes[offset] != UInt8(ascii: "\\") {
            guard bytes[offset] >= 0x20 else { throw Malformed(offset: offset) }
            offset += 1
        }
        guard offset < bytes.endIndex else { throw Malformed(offset: offset) }
        if bytes[offset] == UInt8(ascii: "\"") {
            offset += 1
            return try validated(UnsafeBufferPointer(rebasing: bytes[start..<offset - 1]))
        }
        var utf8 = Array(bytes[start..<offset])
        var plainStart = offset
        while true {
            guard offset < bytes.endIndex else { throw Malformed(offset: offset) }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                utf8.append(contentsOf: bytes[plainStart..<offset])
                offset += 1
                break
            }
            guard byte >= 0x20 else { throw Malformed(offset: offset) }
            if byte == UInt8(ascii: "\\") {
                utf8.append(contentsOf: bytes[plainStart..<offset])
                try readEscape(into: &utf8)
                plainStart = offset
            } else {
                offset += 1
            }
        }
        return try utf8.withUnsafeBufferPointer { (text) throws(Malformed) in try validated(text) }
    }

    private func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws(Malformed) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw Malformed(offset: offset) }
        return text
    }

    /// Reads a number; returns it when it is an integer literal within `Int`'s range, nil for any
    /// other valid number (a fraction, an exponent, or too large).
    mutating func readInteger() throws(Malformed) -> Int? {
        skipWhitespace()
        let start = offset
        let negative = offset < bytes.endIndex && bytes[offset] == UInt8(ascii: "-")
        if negative { offset += 1 }
        guard offset < bytes.endIndex, isDigit(bytes[offset]) else { throw Malformed(offset: offset) }
        var value = 0
        var fits = true
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
        } else {
            while offset < bytes.endIndex, isDigit(bytes[offset]) {
                let digit = Int(bytes[offset] - UInt8(ascii: "0"))
                let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
                let (next, overflowB) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
                if overflowA || overflowB { fits = false }
                value = next
                offset += 1
            }
        }
        var integral = true
        if offset < bytes.endIndex, bytes[offset] == UInt8(ascii: ".") {
            integral = false
            offset += 1
            try digits()
        }
        if offset < bytes.endIndex, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            integral = false
            offset += 1
            if offset < bytes.endIndex, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            try digits()
        }
        precondition(offset > start)
        return integral && fits ? value : nil
    }

    /// Skips one value of any kind, checking its syntax.
    mutating func skipValue(depth: Int = 0) throws(Malformed) {
        guard depth < maxDepth else { throw Malformed(offset: offset) }
        switch try peekKind() {
        case .string: _ = try readString()
        case .number: _ = try readInteger()
        case .literal:
            switch bytes[offset] {
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            default: try literal("null")
            }
        case .array:
            offset += 1
            if take(UInt8(ascii: "]")) { return }
            repeat { try skipValue(depth: depth + 1) } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
        case .object:
            offset += 1
            if take(UInt8(ascii: "}")) { return }
            repeat {
                _ = try readString()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
            } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
        }
    }

    private mutating func readEscape(into utf8: inout [UInt8]) throws(Malformed) {
        offset += 1
        guard offset < bytes.endIndex else { throw Malformed(offset: offset) }
        let escaped = bytes[offset]
        offset += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard offset + 1 < bytes.endIndex, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw Malformed(offset: offset)
                }
                offset += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw Malformed(offset: offset) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw Malformed(offset: offset)
            }
            utf8.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw Malformed(offset: offset - 1)
        }
    }

    private mutating func hex4() throws(Malformed) -> UInt32 {
        guard offset + 4 <= bytes.endIndex else { throw Malformed(offset: offset) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Malformed(offset: offset)
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    private mutating func digits() throws(Malformed) {
        guard offset < bytes.endIndex, isDigit(bytes[offset]) else { throw Malformed(offset: offset) }
        while offset < bytes.endIndex, isDigit(bytes[offset]) { offset += 1 }
    }

    private mutating func literal(_ word: StaticString) throws(Malformed) {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.endIndex else { throw Malformed(offset: offset) }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] {
            throw Malformed(offset: offset + index)
        }
        offset += count
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipWhitespace() {
        while offset < bytes.endIndex {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }
}
