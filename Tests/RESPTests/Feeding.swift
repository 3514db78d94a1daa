import Bytes
import RESP
import Testing

/// One way of handing a byte string to a decoder, named for test failure messages.
struct Feeding: CustomStringConvertible {
    let description: String
    let chunks: [[UInt8]]

    /// The bytes whole, byte by byte, and as two chunks split at every inner position.
    static func all(_ bytes: [UInt8]) -> [Feeding] {
        var feedings = [
            Feeding(description: "whole", chunks: [bytes]),
            Feeding(description: "bytewise", chunks: bytes.map { [$0] }),
        ]
        for split in bytes.indices.dropFirst() {
            feedings.append(Feeding(description: "split at \(split)", chunks: [Array(bytes[..<split]), Array(bytes[split...])]))
        }
        return feedings
    }
}

/// How decoding a byte string ended.
enum DecodeEnd: Equatable {
    case complete
    case incomplete
    case error(RESPError)
}

/// Feeds `feeding` to a fresh decoder, pulling values after every chunk, until the bytes run out
/// or decoding fails.
func decode(_ feeding: Feeding, limits: RESPDecoder.Limits) -> (values: [RESPValue], end: DecodeEnd) {
    var decoder = RESPDecoder(limits: limits)
    var values: [RESPValue] = []
    for chunk in feeding.chunks {
        decoder.feed(chunk)
        do {
            while let value = try decoder.next() { values.append(value) }
        } catch {
            return (values, .error(error))
        }
    }
    return (values, decoder.hasPartialValue ? .incomplete : .complete)
}

/// Checks that `input` decodes to `values` and ends with `end` under every feeding.
func expectDecoding(
    _ input: [UInt8],
    _ values: [RESPValue],
    end: DecodeEnd = .complete,
    limits: RESPDecoder.Limits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for feeding in Feeding.all(input) {
        let outcome = decode(feeding, limits: limits)
        #expect(outcome.values == values, "values, fed \(feeding)", sourceLocation: sourceLocation)
        #expect(outcome.end == end, "end, fed \(feeding)", sourceLocation: sourceLocation)
    }
}

/// String form of `expectDecoding` for readable vectors.
func expectDecoding(
    _ input: String,
    _ values: [RESPValue],
    end: DecodeEnd = .complete,
    limits: RESPDecoder.Limits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectDecoding(Array(input.utf8), values, end: end, limits: limits, sourceLocation: sourceLocation)
}

/// Shorthands for expected values.
func simple(_ text: String) -> RESPValue { .simpleString(ByteBuffer(string: text)) }
func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }
