/// Random tokens for claims and leases.
public enum UUIDToken {
    /// A fresh random (version 4) UUID string, lowercase. Drawn from the system generator
    /// (`getrandom`, one system call), not Foundation's `UUID`, which opens and reads
    /// `/dev/urandom` every time: the gateway makes one per batch and the notifier one per message.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high: UInt64 = generator.next() & ~0xF000 | 0x4000  // version 4
        let low: UInt64 = generator.next() & ~(0xC << 60) | (0x8 << 60)  // RFC 9562 variant
        var text = [UInt8]()
        text.reserveCapacity(36)
        for digit in 0..<32 {
            if [8, 12, 16, 20].contains(digit) { text.append(UInt8(ascii: "-")) }
            let word = digit < 16 ? high : low
            let value = UInt8(truncatingIfNeeded: word >> (60 - 4 * (digit % 16))) & 0xF
            text.append(value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
