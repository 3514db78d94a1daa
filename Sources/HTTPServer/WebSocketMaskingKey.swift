/// The four bytes a client XORs its frame payloads with (RFC 6455 §5.3).
public struct WebSocketMaskingKey: Hashable, Sendable {
    /// The key's bytes in wire order, most significant first.
    public let value: UInt32

    /// The key whose wire bytes are `value`'s, most significant first.
    public init(_ value: UInt32) { self.value = value }

    /// Key byte `index % 4`.
    @inline(__always) func byte(_ index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * (index & 3)))
    }

    /// XORs `count` bytes from `source` into `destination` (which may be the same memory), the
    /// first of them being payload byte `position` of the frame; eight bytes at a time.
    func apply(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count: Int, position: Int) {
        var pattern: UInt64 = 0
        withUnsafeMutableBytes(of: &pattern) { bytes in
            for index in 0..<8 { bytes[index] = byte(position &+ index) }
        }
        var index = 0
        while index &+ 8 <= count {
            let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            destination.storeBytes(of: word ^ pattern, toByteOffset: index, as: UInt64.self)
            index &+= 8
        }
        while index < count {
            let masked = source.load(fromByteOffset: index, as: UInt8.self) ^ byte(position &+ index)
            destination.storeBytes(of: masked, toByteOffset: index, as: UInt8.self)
            index &+= 1
        }
    }
}
