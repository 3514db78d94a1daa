/// Byte-level mutations that keep inputs close to valid ones, so they reach deep decoder states.
struct Mutator {
    /// Numbers at the edges of what decimal length and integer parsers must handle.
    static let boundaryNumbers: [String] = [
        "0", "-1", "-0", "00", "01", "-01", "1", "-2", "+1", " 1", "1 ", "",
        "2147483647", "2147483648", "4294967295", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999",
        "7fffffff", "ffffffffffffffff", "0x10",
    ]

    /// Big-endian integers at the edges of what binary length fields must handle.
    static let boundaryIntegers: [UInt64] = [0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
                                             0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, .max, 1 << 63]

    /// Bytes that mean something to one of the decoders.
    static let interestingBytes: [UInt8] = Array("\r\n:$*+-0 9;=\"\t\u{7f}".utf8) + [0, 0xCE, 0xFF, 0x80, 1, 2, 3, 8]

    let textual: Bool

    /// `input` changed by one to four random mutations, `other` serving for splices.
    func mutate(_ input: [UInt8], other: [UInt8], using rng: inout SplitMix64, maxBytes: Int) -> [UInt8] {
        var bytes = input
        for _ in 0..<rng.int(1...4) {
            mutateOnce(&bytes, other: other, using: &rng)
        }
        return bytes.count > maxBytes ? Array(bytes.prefix(maxBytes)) : bytes
    }

    private func mutateOnce(_ bytes: inout [UInt8], other: [UInt8], using rng: inout SplitMix64) {
        guard !bytes.isEmpty else {
            bytes = rng.bytes(rng.int(1...4))
            return
        }
        let position = rng.int(0...bytes.count - 1)
        switch rng.int(0...10) {
        case 0:
            bytes[position] ^= 1 << UInt8(rng.int(0...7))
        case 1:
            bytes[position] = rng.chance(50) ? rng.pick(Self.interestingBytes) : UInt8.random(in: 0...255, using: &rng)
        case 2:
            bytes.insert(contentsOf: rng.chance(50) ? [rng.pick(Self.interestingBytes)] : rng.bytes(rng.int(1...8)), at: position)
        case 3:
            bytes.removeSubrange(position..<min(bytes.count, position + rng.size(upTo: 16) + 1))
        case 4:
            let end = min(bytes.count, position + rng.size(upTo: 64) + 1)
            bytes.insert(contentsOf: bytes[position..<end], at: end)
        case 5:
            guard !other.isEmpty else { return }
            let start = rng.int(0...other.count - 1)
            let piece = other[start..<min(other.count, start + rng.size(upTo: other.count) + 1)]
            if rng.chance(50) {
                bytes.replaceSubrange(position..., with: piece)
            } else {
                bytes.insert(contentsOf: piece, at: position)
            }
        case 6:
            bytes.removeSubrange(position...)
        case 7:
            replaceCRLF(&bytes, using: &rng)
        case 8, 9, 10:
            if textual {
                replaceNumber(&bytes, near: position, using: &rng)
            } else {
                replaceInteger(&bytes, at: position, using: &rng)
            }
        default:
            break
        }
    }

    /// Turns one CRLF into a bare LF, a bare CR, or LFCR.
    private func replaceCRLF(_ bytes: inout [UInt8], using rng: inout SplitMix64) {
        let ends = bytes.indices.dropLast().filter { bytes[$0] == 13 && bytes[$0 + 1] == 10 }
        guard !ends.isEmpty else { return }
        let at = rng.pick(ends)
        bytes.replaceSubrange(at...at + 1, with: rng.pick([[10], [13], [10, 13], [13, 13, 10], []]))
    }

    /// Replaces the run of digits at or after `position` with a boundary number.
    private func replaceNumber(_ bytes: inout [UInt8], near position: Int, using rng: inout SplitMix64) {
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 || byte == UInt8(ascii: "-") }
        guard var start = bytes[position...].firstIndex(where: isDigit) ?? bytes.firstIndex(where: isDigit) else { return }
        while start > 0 && isDigit(bytes[start - 1]) { start -= 1 }
        var end = start
        while end < bytes.count && isDigit(bytes[end]) { end += 1 }
        let number = rng.chance(80) ? rng.pick(Self.boundaryNumbers) : String(Int64.random(in: .min ... .max, using: &rng))
        bytes.replaceSubrange(start..<end, with: Array(number.utf8))
    }

    /// Overwrites a 1, 2, 4 or 8-byte big-endian field at `position` with a boundary value.
    private func replaceInteger(_ bytes: inout [UInt8], at position: Int, using rng: inout SplitMix64) {
        let width = rng.pick([1, 2, 4, 8])
        let value = rng.chance(80) ? rng.pick(Self.boundaryIntegers) : rng.next()
        for offset in 0..<width where position + offset < bytes.count {
            bytes[position + offset] = UInt8(truncatingIfNeeded: value >> UInt64(8 * (width - 1 - offset)))
        }
    }
}
