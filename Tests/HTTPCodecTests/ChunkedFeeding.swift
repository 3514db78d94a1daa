import Bytes
import HTTPCodec
import Testing
import TestSupport

/// What a chunked body decoded to once every chunk of the stream was fed.
struct ChunkedOutcome: Equatable {
    var data: [UInt8] = []
    /// Whether the last chunk was read.
    var ended = false
    /// The bytes the decoder left in the buffer (after the last chunk, the trailer section);
    /// empty after an error.
    var rest: [UInt8] = []
    var bodySize = 0
    var error: ChunkedBodyError?
}

/// Where the decoded body starts in the stream: not at 0, so offsets are seen to be the stream's.
let bodyStart = 1000

/// Feeds `chunks` in turn into one buffer, taking every part the decoder gives after each.
/// `compacting` discards the read bytes before each feed, as the parsers' buffers do.
func decodeChunked(_ chunks: [ArraySlice<UInt8>], decoder: ChunkedBodyDecoder, compacting: Bool = false) -> ChunkedOutcome {
    var decoder = decoder
    decoder.start(at: bodyStart)
    var buffer = ByteBuffer()
    var outcome = ChunkedOutcome()
    var written = 0
    do {
        for chunk in chunks {
            if compacting { buffer.discardReadBytes() }
            buffer.writeBytes(chunk)
            written += chunk.count
            while let part = try decoder.next(&buffer) {
                switch part {
                case .data(let bytes): outcome.data += bytes.readableBytesView
                case .lastChunk: outcome.ended = true
                }
            }
            #expect(decoder.offset == bodyStart + written - buffer.readableBytes, "the offset counts the bytes read")
        }
    } catch {
        outcome.error = error
    }
    // After an error the decoder stops, so what is left depends on how much had arrived.
    if outcome.error == nil { outcome.rest = Array(buffer.readableBytesView) }
    outcome.bodySize = decoder.bodySize
    return outcome
}

/// Decodes `text` fed whole, byte by byte and split in two at every position (compacting the
/// buffer and not), expects every feeding to give the same outcome, and returns it.
func decodedEveryWay(_ text: String, decoder: ChunkedBodyDecoder, sourceLocation: SourceLocation = #_sourceLocation) -> ChunkedOutcome {
    let bytes = Array(text.utf8)
    let outcome = decodedEveryWay(bytes, sourceLocation: sourceLocation) { decodeChunked($0, decoder: decoder) }
    let compacted = decodedEveryWay(bytes, sourceLocation: sourceLocation) { decodeChunked($0, decoder: decoder, compacting: true) }
    #expect(compacted == outcome, "compacting the buffer between feeds changes nothing", sourceLocation: sourceLocation)
    return outcome
}

/// The marker that precedes the offending byte in a test input.
let offendingByteMarker: Character = "¦"

/// Expects `text` (its marker removed) to be rejected with `code` at the marked byte, however
/// it is split, and, fed one byte at a time, to fail as soon as the byte `arrival` bytes after
/// the marked one arrives (0: the marked byte itself).
func expectRejectedAtMark(_ text: String, _ code: ChunkedBodyError.Code, decoder: ChunkedBodyDecoder, arrival: Int = 0,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    guard let mark = text.firstIndex(of: offendingByteMarker) else { preconditionFailure("no marker in \(text.debugDescription)") }
    let offset = text[..<mark].utf8.count
    let unmarked = text.filter { $0 != offendingByteMarker }
    let outcome = decodedEveryWay(unmarked, decoder: decoder, sourceLocation: sourceLocation)
    #expect(outcome.error?.code == code, sourceLocation: sourceLocation)
    #expect(outcome.error?.offset == bodyStart + offset, "the offset is the marked byte's", sourceLocation: sourceLocation)
    var oneByOne = decoder
    oneByOne.start(at: bodyStart)
    var buffer = ByteBuffer()
    for (index, byte) in unmarked.utf8.enumerated() {
        buffer.writeBytes([byte])
        do {
            while try oneByOne.next(&buffer) != nil {}
        } catch {
            #expect(index == offset + arrival, "rejected when byte \(index) arrived, not byte \(offset + arrival)", sourceLocation: sourceLocation)
            return
        }
    }
    Issue.record("not rejected", sourceLocation: sourceLocation)
}
