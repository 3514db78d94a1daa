import Bytes
import HTTPServer

/// Fuzzes `WebSocketFrameDecoder` (the server's side: masked client frames) and the message
/// assembler, with small limits so generated streams can exceed them.
public struct WebSocketFuzzTarget: FuzzTarget {
    public let name = "ws"
    public let seeds: [[UInt8]]
    public let isTextual = false
    public let limits = WebSocketLimits(maxFrameSize: 1024, maxMessageSize: 2048)

    /// A decoded frame, or a message the assembler completed with it.
    public enum Event: Equatable {
        case frame(WebSocketFrame)
        case message(WebSocketMessage)
    }

    public init(seeds: [[UInt8]]) {
        self.seeds = seeds
    }

    public func generate(using rng: inout SplitMix64, maxBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<rng.int(1...4) where bytes.count < maxBytes {
            appendMessage(to: &bytes, size: rng.size(upTo: min(limits.maxMessageSize, max(maxBytes - bytes.count, 0))), using: &rng)
        }
        if rng.chance(20) {
            let code = rng.pick([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999])
            let reason = text(bytes: rng.size(upTo: WebSocketCloseStatus.maxReasonBytes), using: &rng)
            let payload = rng.chance(10) ? ByteBuffer() : WebSocketCloseStatus(code: WebSocketCloseCode(rawValue: UInt16(code)), reason: reason).payload
            append(WebSocketFrame(opcode: .close, payload: payload), to: &bytes, using: &rng)
        }
        return bytes
    }

    /// One text or binary message of `size` bytes, in fragments no larger than a frame may be,
    /// with pings and pongs between them now and then.
    private func appendMessage(to bytes: inout [UInt8], size: Int, using rng: inout SplitMix64) {
        let isText = rng.chance(50)
        let payload = isText ? Array(text(bytes: size, using: &rng).utf8) : rng.bytes(size)
        var rest = payload[...]
        var opcode: WebSocketOpcode = isText ? .text : .binary
        repeat {
            // Fragments may cut a character in two: text is checked across them.
            let length = rng.chance(60) ? min(rest.count, limits.maxFrameSize) : min(rest.count, rng.size(upTo: limits.maxFrameSize))
            let fragment = rest.prefix(length)
            rest = rest.dropFirst(length)
            append(WebSocketFrame(fin: rest.isEmpty, opcode: opcode, payload: ByteBuffer(bytes: fragment)), to: &bytes, using: &rng)
            opcode = .continuation
            if rng.chance(15) {
                let control = WebSocketFrame(opcode: rng.chance(50) ? .ping : .pong,
                                             payload: ByteBuffer(bytes: rng.bytes(rng.size(upTo: WebSocketFrame.maxControlPayload))))
                append(control, to: &bytes, using: &rng)
            }
        } while !rest.isEmpty
    }

    private func append(_ frame: WebSocketFrame, to bytes: inout [UInt8], using rng: inout SplitMix64) {
        let key = WebSocketMaskingKey(rng.chance(5) ? 0 : UInt32(truncatingIfNeeded: rng.next()))
        do {
            bytes += try WebSocketFrameEncoder.encoded(frame, maskingKey: key).readableBytesView
        } catch {
            preconditionFailure("generated an unencodable frame: \(error)")
        }
    }

    /// Text of about `bytes` UTF-8 bytes (not more), with characters of every encoded length.
    private func text(bytes count: Int, using rng: inout SplitMix64) -> String {
        var scalars = String.UnicodeScalarView()
        var used = 0
        while used < count {
            let value: UInt32 = switch rng.int(0...9) {
            case 0...5: UInt32(rng.int(0...0x7F))
            case 6: UInt32(rng.int(0x80...0x7FF))
            case 7: UInt32(rng.pick([rng.int(0x800...0xD7FF), rng.int(0xE000...0xFFFF)]))
            default: UInt32(rng.int(0x1_0000...0x10_FFFF))
            }
            let scalar = Unicode.Scalar(value)!
            let size = String(scalar).utf8.count
            guard used + size <= count else { break }
            scalars.append(scalar)
            used += size
        }
        return String(scalars)
    }

    public func probe(using rng: inout SplitMix64) -> (input: [UInt8], expectedError: String) {
        var prefix: [UInt8] = rng.chance(50) ? [0x81, 0x82, 1, 2, 3, 4, 0x49, 0x6B] : []  // a masked "Hi"
        let key: [UInt8] = [9, 8, 7, 6]
        switch rng.int(0...3) {
        case 0:
            // A frame one byte or far over the limit, announced in the 16-bit form.
            let length = rng.chance(50) ? limits.maxFrameSize + 1 : rng.int(limits.maxFrameSize + 1...0xFFFF)
            prefix += [0x82, 0x80 | 126, UInt8(length >> 8), UInt8(length & 0xFF)] + key
            return (prefix, "frameTooLarge")
        case 1:
            // The 64-bit form, up to the largest length it can carry.
            let length = UInt64(rng.chance(50) ? 0x1_0000 + rng.int(0...1000) : Int.max)
            prefix += [0x82, 0x80 | 127] + (0..<8).map { UInt8(truncatingIfNeeded: length >> (56 - 8 * UInt64($0))) } + key
            return (prefix, "frameTooLarge")
        case 2:
            // Fragments each within the frame limit that add up to more than the message limit.
            var count = 0
            var opcode: UInt8 = 0x02
            while count <= limits.maxMessageSize {
                let length = rng.int(limits.maxFrameSize / 2...limits.maxFrameSize)
                prefix += [opcode, 0x80 | 126, UInt8(length >> 8), UInt8(length & 0xFF)] + key + [UInt8](repeating: 0x55, count: length)
                count += length
                opcode = 0x00
            }
            return (prefix, "messageTooLarge")
        default:
            // A text frame whose payload turns invalid at once, with the rest never sent.
            prefix += [0x81, 0x80 | 126, 0x03, 0xFF] + [0, 0, 0, 0] + [UInt8(ascii: "a"), rng.pick([0xFF, 0xC0, 0xF5, 0x80])]
            return (prefix, "invalidUTF8")
        }
    }

    public func decode(_ chunks: [ArraySlice<UInt8>], asBuffers: Bool) -> DecodeOutcome<Event> {
        var decoder = WebSocketFrameDecoder(limits: limits)
        var assembler = WebSocketMessageAssembler()
        var outcome = DecodeOutcome<Event>()
        // The text message under way, checked with the standard library's own validation.
        var text: [UInt8]?
        for chunk in chunks {
            if asBuffers {
                decoder.feed(chunk.offsetBuffer)
            } else {
                chunk.withUnsafeBytes { decoder.feed($0) }
            }
            do {
                while let frame = try decoder.next() {
                    if let problem = check(frame) { outcome.violation = problem }
                    outcome.values.append(.frame(frame))
                    switch frame.opcode {
                    case .text: text = Array(frame.payload.readableBytesView)
                    case .binary: text = nil
                    case .continuation: text? += frame.payload.readableBytesView
                    default: break
                    }
                    if frame.fin, !frame.opcode.isControl, let bytes = text {
                        if String(validating: bytes, as: UTF8.self) == nil { outcome.violation = "text that is not UTF-8 passed" }
                        text = nil
                    }
                    guard !frame.opcode.isControl, let message = assembler.append(frame) else { continue }
                    if let problem = check(message) { outcome.violation = problem }
                    outcome.values.append(.message(message))
                }
            } catch {
                outcome.fail(error, kind: error.code.description, offset: error.offset) {
                    decoder.feed(UnsafeRawBufferPointer(start: nil, count: 0))
                    do throws(WebSocketError) { _ = try decoder.next() } catch { return error }
                    return nil
                }
                return outcome
            }
        }
        outcome.partial = !decoder.isIdle
        return outcome
    }

    /// A rule the decoder should have enforced, if `frame` breaks one.
    private func check(_ frame: WebSocketFrame) -> String? {
        let length = frame.payload.readableBytes
        if length > limits.maxFrameSize { return "frame of \(length) bytes passed the \(limits.maxFrameSize) limit" }
        if frame.opcode.isControl && (length > WebSocketFrame.maxControlPayload || !frame.fin) {
            return "control frame of \(length) bytes, fin \(frame.fin), passed"
        }
        return nil
    }

    private func check(_ message: WebSocketMessage) -> String? {
        switch message {
        case .binary(let bytes):
            bytes.readableBytes > limits.maxMessageSize ? "message of \(bytes.readableBytes) bytes passed the limit" : nil
        case .text(let text):
            text.utf8.count > limits.maxMessageSize ? "message of \(text.utf8.count) bytes passed the limit" : nil
        }
    }
}
