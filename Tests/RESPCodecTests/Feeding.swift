import Bytes
import RESP
import Testing
import TestSupport

/// How decoding a byte string ended.
enum DecodeEnd: Equatable {
    case complete
    case incomplete
    case error(RESPError)
}

/// What a decoder made of a byte string: the values, then how it ended.
struct DecodeOutcome: Equatable {
    var values: [RESPValue] = []
    var end = DecodeEnd.complete
}

/// Feeds `chunks` to a fresh decoder, pulling values after every chunk, until the bytes run out
/// or decoding fails.
func decode(_ chunks: [ArraySlice<UInt8>], limits: RESPDecoder.Limits) -> DecodeOutcome {
    var decoder = RESPDecoder(limits: limits)
    var outcome = DecodeOutcome()
    for chunk in chunks {
        decoder.feed(chunk)
        do {
            while let value = try decoder.next() { outcome.values.append(value) }
        } catch {
            outcome.end = .error(error)
            return outcome
        }
    }
    outcome.end = decoder.hasPartialValue ? .incomplete : .complete
    return outcome
}

/// Checks that `input` decodes to `values` and ends with `end` under every feeding.
func expectDecoding(
    _ input: [UInt8],
    _ values: [RESPValue],
    end: DecodeEnd = .complete,
    limits: RESPDecoder.Limits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let outcome = decodedEveryWay(input, sourceLocation: sourceLocation) { decode($0, limits: limits) }
    #expect(outcome == DecodeOutcome(values: values, end: end), sourceLocation: sourceLocation)
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
