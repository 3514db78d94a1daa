import AMQP091
import Bytes
import Testing

/// One way of handing a vector's bytes to a decoder.
struct Feeding: CustomStringConvertible {
    let description: String
    let chunks: [[UInt8]]

    /// Every feeding the codec tests use: whole, byte by byte, and split in two at every position.
    static func all(of bytes: [UInt8]) -> [Feeding] {
        var feedings = [Feeding(description: "whole", chunks: [bytes])]
        feedings.append(Feeding(description: "bytewise", chunks: bytes.map { [$0] }))
        for split in bytes.indices.dropFirst() {
            feedings.append(Feeding(description: "split at \(split)", chunks: [Array(bytes[..<split]), Array(bytes[split...])]))
        }
        return feedings
    }
}

/// What a decoder made of a whole stream.
enum DecodeOutcome: Equatable {
    /// The frames, and whether bytes were left over waiting for more input.
    case frames([AMQPFrame], incomplete: Bool)
    case error(AMQPError)
}

/// Decodes `bytes` in one feeding, draining frames after every chunk. Chunks alternate between
/// the ByteBuffer and the byte-sequence entry points so both are covered.
func decode(_ feeding: Feeding, maximumFrameSize: Int) -> DecodeOutcome {
    var decoder = FrameDecoder(maximumFrameSize: maximumFrameSize)
    var frames: [AMQPFrame] = []
    for (index, chunk) in feeding.chunks.enumerated() {
        if index % 2 == 0 { decoder.append(ByteBuffer(bytes: chunk)) } else { decoder.append(contentsOf: chunk) }
        do {
            while let frame = try decoder.next() { frames.append(frame) }
        } catch {
            return .error(error)
        }
    }
    return .frames(frames, incomplete: decoder.bufferedBytes > 0)
}

/// Expects every feeding of `bytes` to give `expected`; returns how many feedings were checked.
@discardableResult
func expectDecoding(
    _ bytes: [UInt8], _ expected: DecodeOutcome, maximumFrameSize: Int = 131_072,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Int {
    let feedings = Feeding.all(of: bytes)
    for feeding in feedings {
        let outcome = decode(feeding, maximumFrameSize: maximumFrameSize)
        #expect(outcome == expected, "feeding \(feeding)", sourceLocation: sourceLocation)
        if outcome != expected { break }
    }
    return feedings.count
}

/// The bytes of hex text; spaces and line breaks are ignored so vectors can be grouped by field.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
}

/// `frames` encoded with a default encoder.
func encoded(_ frames: [AMQPFrame], maximumFrameSize: Int = 131_072) throws -> [UInt8] {
    var buffer = ByteBuffer()
    for frame in frames { try FrameEncoder(maximumFrameSize: maximumFrameSize).encode(frame, into: &buffer) }
    return Array(buffer.readableBytesView)
}
