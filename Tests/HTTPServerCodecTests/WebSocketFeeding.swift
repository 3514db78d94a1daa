import Bytes
import HTTPServer
import Testing
import TestSupport

/// What a WebSocket decoder made of a byte stream: the frames, the messages and control frames
/// in order, and how the stream ended.
struct WebSocketOutcome: Equatable, CustomStringConvertible {
    enum End: Equatable {
        /// Between messages, nothing buffered.
        case complete
        /// Inside a frame or a fragmented message.
        case incomplete
        case error(WebSocketError)
    }

    /// A data message or a control frame, in arrival order.
    enum Event: Equatable {
        case message(WebSocketMessage)
        case control(WebSocketOpcode, [UInt8])
    }

    var frames: [WebSocketFrame] = []
    var events: [Event] = []
    var end: End = .complete

    var description: String { "\(frames.count) frames, events \(events), end \(end)" }
}

/// Feeds `chunks` one after another (as buffers that do not start at index 0, as slices of a
/// read buffer would be), pulling frames after each, and joins data frames into messages.
func decodeWebSocket(_ chunks: [ArraySlice<UInt8>], limits: WebSocketLimits = WebSocketLimits()) -> WebSocketOutcome {
    var decoder = WebSocketFrameDecoder(limits: limits)
    var assembler = WebSocketMessageAssembler()
    var outcome = WebSocketOutcome()
    for chunk in chunks {
        var buffer = ByteBuffer(capacity: chunk.count + 2)
        buffer.writeBytes([0xEE, 0xEE])
        buffer.writeBytes(chunk)
        buffer.moveReaderIndex(forwardBy: 2)
        decoder.feed(buffer)
        do {
            while let frame = try decoder.next() {
                outcome.frames.append(frame)
                if frame.opcode.isControl {
                    outcome.events.append(.control(frame.opcode, Array(frame.payload.readableBytesView)))
                } else if let message = assembler.append(frame) {
                    outcome.events.append(.message(message))
                }
            }
        } catch {
            outcome.end = .error(error)
            return outcome
        }
    }
    outcome.end = decoder.isIdle ? .complete : .incomplete
    return outcome
}

/// Decodes `bytes` in every feeding; expects every feeding to give the same outcome and returns it.
func decodeWebSocketEveryWay(_ bytes: [UInt8], limits: WebSocketLimits = WebSocketLimits(),
                             sourceLocation: SourceLocation = #_sourceLocation) -> WebSocketOutcome {
    decodedEveryWay(bytes, sourceLocation: sourceLocation) { decodeWebSocket($0, limits: limits) }
}

/// Checks that `bytes` fail with `code` at `offset` however they are fed, and that the error is
/// found as soon as it can be: the first `detectedAfter` bytes fail, one byte fewer does not. By
/// default that is the offending byte itself; a multi-byte length is known once all its bytes
/// are in, a close payload once its frame is.
func expectWebSocketError(_ bytes: [UInt8], _ code: WebSocketError.Code, at offset: Int, detectedAfter: Int? = nil,
                          limits: WebSocketLimits = WebSocketLimits(),
                          sourceLocation: SourceLocation = #_sourceLocation) {
    let outcome = decodeWebSocketEveryWay(bytes, limits: limits, sourceLocation: sourceLocation)
    guard case .error(let error) = outcome.end else {
        Issue.record("expected \(code) at \(offset), got \(outcome)", sourceLocation: sourceLocation)
        return
    }
    #expect(error.code == code, sourceLocation: sourceLocation)
    #expect(error.offset == offset, "offset", sourceLocation: sourceLocation)
    let needed = detectedAfter ?? min(offset + 1, bytes.count)
    if case .error(let early) = decodeWebSocket([bytes.prefix(needed - 1)], limits: limits).end {
        Issue.record("the first \(needed - 1) bytes already fail: \(early)", sourceLocation: sourceLocation)
    }
    #expect(decodeWebSocket([bytes.prefix(needed)], limits: limits).end == .error(error),
            "fails once \(needed) bytes are in", sourceLocation: sourceLocation)
}

/// A client frame: the header and payload as a client sends them, masked with `key`.
func clientFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true,
                 key: WebSocketMaskingKey = WebSocketMaskingKey(0x37FA_213D)) -> [UInt8] {
    let frame = WebSocketFrame(fin: fin, opcode: opcode, payload: ByteBuffer(bytes: payload))
    do {
        return Array(try WebSocketFrameEncoder.encoded(frame, maskingKey: key).readableBytesView)
    } catch {
        // Frames the encoder refuses (long or fragmented control frames) are built by hand.
        Issue.record("cannot encode \(opcode) frame: \(error)")
        return []
    }
}

func clientFrame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) -> [UInt8] {
    clientFrame(opcode, Array(text.utf8), fin: fin)
}
