import AMQP091
import Bytes
import Testing
import TestSupport

/// What a decoder made of a whole stream.
enum DecodeOutcome: Equatable {
    /// The frames, and whether bytes were left over waiting for more input.
    case frames([AMQPFrame], incomplete: Bool)
    case error(AMQPError)
}

/// Decodes `chunks` in turn, draining frames after every chunk. Chunks alternate between the
/// ByteBuffer and the byte-sequence entry points so both are covered.
func decode(_ chunks: [ArraySlice<UInt8>], maximumFrameSize: Int) -> DecodeOutcome {
    var decoder = FrameDecoder(maximumFrameSize: maximumFrameSize)
    var frames: [AMQPFrame] = []
    for (index, chunk) in chunks.enumerated() {
        if index % 2 == 0 { decoder.append(ByteBuffer(bytes: chunk)) } else { decoder.append(contentsOf: chunk) }
        do {
            while let frame = try decoder.next() { frames.append(frame) }
        } catch {
            return .error(error)
        }
    }
    return .frames(frames, incomplete: decoder.bufferedBytes > 0)
}

/// Expects every feeding of `bytes` to give `expected`.
func expectDecoding(
    _ bytes: [UInt8], _ expected: DecodeOutcome, maximumFrameSize: Int = 131_072,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let outcome = decodedEveryWay(bytes, sourceLocation: sourceLocation) { decode($0, maximumFrameSize: maximumFrameSize) }
    #expect(outcome == expected, sourceLocation: sourceLocation)
}

/// `frames` encoded with a default encoder.
func encoded(_ frames: [AMQPFrame], maximumFrameSize: Int = 131_072) throws -> [UInt8] {
    var buffer = ByteBuffer()
    for frame in frames { try FrameEncoder(maximumFrameSize: maximumFrameSize).encode(frame, into: &buffer) }
    return Array(buffer.readableBytesView)
}
