/// The Redis Cluster hash slot of a key: CRC16/XMODEM of the key, or of its hash tag, modulo
/// 16384.
///
/// A hash tag is the part between the first `{` and the first `}` after it, when that part is
/// not empty: `{user1000}.following` and `{user1000}.followers` share a slot, while `foo{}{bar}`
/// hashes whole.
public enum RedisHashSlot {
    /// Slots of a cluster.
    public static let count = RedisRedirection.slotCount

    /// The slot of `key` (its UTF-8 bytes).
    public static func slot(of key: String) -> Int {
        var key = key
        return key.withUTF8 { slot(of: UnsafeRawBufferPointer($0)) }
    }

    /// The slot of a key given as bytes.
    public static func slot(of key: UnsafeRawBufferPointer) -> Int {
        Int(crc16(hashedPart(of: key)) & UInt16(count - 1))
    }

    /// The bytes that are hashed: the hash tag when there is a non-empty one, else the whole key.
    static func hashedPart(of key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")),
              let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
              close > open + 1
        else { return key }
        return UnsafeRawBufferPointer(rebasing: key[(open + 1)..<close])
    }

    /// CRC16/XMODEM: polynomial 0x1021, initial value 0, no reflection, no final XOR.
    static func crc16(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
