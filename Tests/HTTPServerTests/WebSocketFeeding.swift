import Bytes
import HTTPServer
import Testing

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

/// Where a stream is split in two: every position for vectors up to 4 KiB; for larger ones every
/// position in the first and last 256 bytes (the headers and the end) and every 251st between.
func splitPositions(_ count: Int) -> [Int] {
    guard count > 4096 else { return Array(1..<max(count, 1)) }
    return Array(1..<256) + Array(stride(from: 256, to: count - 256, by: 251)) + Array((count - 256)..<count)
}

/// Decodes `bytes` whole, byte by byte, and split in two at every position (see
/// `splitPositions`); expects every feeding to give the same outcome and returns it.
func decodeWebSocketEveryWay(_ bytes: [UInt8], limits: WebSocketLimits = WebSocketLimits(),
                             sourceLocation: SourceLocation = #_sourceLocation) -> WebSocketOutcome {
    let whole = decodeWebSocket([bytes[...]], limits: limits)
    let bytewise = decodeWebSocket(bytes.indices.map { bytes[$0...$0] }, limits: limits)
    #expect(bytewise == whole, "byte by byte", sourceLocation: sourceLocation)
    for cut in splitPositions(bytes.count) {
        let split = decodeWebSocket([bytes[..<cut], bytes[cut...]], limits: limits)
        #expect(split == whole, "split at \(cut)", sourceLocation: sourceLocation)
        if split != whole { break }
    }
    return whole
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

/// Bytes from hex text; spaces and line breaks are ignored.
func wsHex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8.filter { $0 != 32 && $0 != 10 })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
}
