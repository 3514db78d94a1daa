import Bytes
import Foundation
import HTTPServer

/// `conformance ws FILE [--feed whole|bytewise]`: decodes each vector's bytes as the frames a
/// client sends a server (after the handshake) and joins their messages.
///
/// Result: `{"id", "frames":[{"fin","opcode","payload"}], "messages":[M...], "end"}` where M is
/// `{"text"}`, `{"binary"}`, `{"ping"}`, `{"pong"}` or `{"close":{"code","reason"}}` in arrival
/// order (`code` left out for an empty close), `end` is `complete`, `incomplete` (inside a frame
/// or a fragmented message) or `error`, and an error adds `{"error":{"code","close_code",
/// "offset"}}`. Payloads are hex, or `{"length","sha1"}` above 1 KiB.
enum WebSocketConformance {
    static func decode(_ arguments: [String]) throws(ConformanceFailure) -> [[String: Any]] {
        guard let path = arguments.first else { throw .usage("ws FILE [--feed whole|bytewise]") }
        let feed = try FeedMode(arguments: arguments)
        var results: [[String: Any]] = []
        for (line, object) in try VectorIO.objects(inFile: path) {
            guard let id = object["id"] as? String else { throw .input(line: line, "field 'id' must be a string") }
            var result = decode(feed.chunks(of: try VectorIO.hexField(object, line: line)))
            result["id"] = id
            results.append(result)
        }
        return results
    }

    /// Feeds every chunk, draining the decoder after each, and describes the outcome.
    static func decode(_ chunks: [ArraySlice<UInt8>]) -> [String: Any] {
        var decoder = WebSocketFrameDecoder()
        var assembler = WebSocketMessageAssembler()
        var frames: [[String: Any]] = []
        var messages: [[String: Any]] = []
        do {
            for chunk in chunks {
                chunk.withUnsafeBytes { decoder.feed($0) }
                while let frame = try decoder.next() {
                    frames.append(["fin": frame.fin, "opcode": frame.opcode.description, "payload": payload(frame.payload)])
                    switch frame.opcode {
                    case .close:
                        let status = try WebSocketCloseStatus(payload: frame.payload)
                        messages.append(["close": status.code.map { ["code": Int($0.rawValue), "reason": status.reason] } ?? ["reason": ""]])
                    case .ping, .pong:
                        messages.append([frame.opcode.description: payload(frame.payload)])
                    case .text, .binary, .continuation:
                        switch assembler.append(frame) {
                        case .text(let text): messages.append(["text": text])
                        case .binary(let bytes): messages.append(["binary": payload(bytes)])
                        case nil: break
                        }
                    }
                }
            }
            return ["frames": frames, "messages": messages, "end": decoder.isIdle ? "complete" : "incomplete"]
        } catch {
            let description: [String: Any] = ["code": error.code.description, "close_code": Int(error.closeCode.rawValue), "offset": error.offset]
            return ["frames": frames, "messages": messages, "end": "error", "error": description]
        }
    }

    private static func payload(_ bytes: ByteBuffer) -> Any {
        guard bytes.readableBytes > 1024 else { return Hex.encode(bytes.readableBytesView) }
        return ["length": bytes.readableBytes, "sha1": SHA1.hexDigest(bytes.readableBytesView)]
    }
}
