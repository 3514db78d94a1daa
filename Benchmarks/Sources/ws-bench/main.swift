import Bytes
import CommandLineOptions
import Foundation
import HTTPServer

/// WebSocket frame decoding throughput: a stream of masked client frames (small text messages,
/// 1 KiB and 64 KiB binary messages, some fragmented, pings between) decoded in 16 KiB chunks as
/// a server reads them, every payload touched. Beside it, a plain copy of the same bytes in the
/// same chunks: decoding unmasks while it copies, so the copy rate is its ceiling.
///
/// usage: ws-bench [MEGABYTES=32] [ROUNDS=5]   prints frames/s, MB/s, and the copy's MB/s

/// A deterministic corpus of about `megabytes` MB of client frames, and its frame count.
func makeCorpus(megabytes: Int) throws -> (ByteBuffer, frames: Int) {
    var corpus = ByteBuffer(capacity: megabytes << 20 + 65536)
    var frames = 0
    var generator = UInt32(0x9E37_79B9)
    func key() -> WebSocketMaskingKey {
        generator = generator &* 1_664_525 &+ 1_013_904_223
        return WebSocketMaskingKey(generator)
    }
    let text = ByteBuffer(string: #"{"accepted":1234,"reserved":1200,"rejected":34,"notified":1190}"#)
    let kilobyte = ByteBuffer(bytes: (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    let large = ByteBuffer(bytes: (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 13) })
    while corpus.readableBytes < megabytes << 20 {
        for _ in 0..<64 {
            try WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .text, payload: text), maskingKey: key(), into: &corpus)
        }
        for _ in 0..<16 {
            try WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .binary, payload: kilobyte), maskingKey: key(), into: &corpus)
        }
        try WebSocketFrameEncoder.encode(WebSocketFrame(fin: false, opcode: .text, payload: text), maskingKey: key(), into: &corpus)
        try WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .ping, payload: "p"), maskingKey: key(), into: &corpus)
        try WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .continuation, payload: text), maskingKey: key(), into: &corpus)
        try WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .binary, payload: large), maskingKey: key(), into: &corpus)
        frames += 64 + 16 + 3 + 1
    }
    return (corpus, frames)
}

/// Decodes `corpus` `rounds` times in 16 KiB chunks; returns frames and payload bytes seen.
func decode(_ corpus: ByteBuffer, rounds: Int) throws(WebSocketError) -> (frames: Int, bytesSeen: Int) {
    let chunkSize = 16 * 1024
    var frames = 0
    var bytesSeen = 0
    for _ in 0..<rounds {
        var decoder = WebSocketFrameDecoder()
        var offset = 0
        while offset < corpus.readableBytes {
            let length = min(chunkSize, corpus.readableBytes - offset)
            decoder.feed(corpus.getSlice(at: corpus.readerIndex + offset, length: length)!)
            offset += length
            while let frame = try decoder.next() {
                frames &+= 1
                bytesSeen &+= frame.payload.withUnsafeReadableBytes { $0.last.map(Int.init) ?? 0 } &+ frame.payload.readableBytes
            }
        }
    }
    return (frames, bytesSeen)
}

/// Copies `corpus` `rounds` times in 16 KiB chunks into one buffer, as decoding copies payloads.
func copy(_ corpus: ByteBuffer, rounds: Int) -> Int {
    let chunkSize = 16 * 1024
    var target = ByteBuffer(capacity: chunkSize)
    var checksum = 0
    for _ in 0..<rounds {
        var offset = 0
        while offset < corpus.readableBytes {
            let length = min(chunkSize, corpus.readableBytes - offset)
            target.clear()
            target.writeBuffer(corpus.getSlice(at: corpus.readerIndex + offset, length: length)!)
            checksum &+= target.readableBytes
            offset += length
        }
    }
    return checksum
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let syntax = CommandSyntax(
    "ws-bench", summary: "WebSocket frame decoder throughput on masked client frames in 16 KiB chunks, beside a plain copy of the same bytes",
    arguments: [.init("MEGABYTES", "corpus size (default 32)", optional: true), .init("ROUNDS", "passes over it (default 5)", optional: true)])
let parsed = syntax.parseOrExit()
let megabytes: Int
let rounds: Int
do {
    megabytes = try parsed.intArgument(0, default: 32, in: 1...4096)
    rounds = try parsed.intArgument(1, default: 5, in: 1...Int.max)
} catch {
    syntax.fail(error)
}
do {
    let (corpus, framesPerRound) = try makeCorpus(megabytes: megabytes)
    var result = (frames: 0, bytesSeen: 0)
    let decoding = try seconds { result = try decode(corpus, rounds: rounds) }
    guard result.frames == framesPerRound * rounds else {
        FileHandle.standardError.write(Data("decoded \(result.frames) frames, expected \(framesPerRound * rounds)\n".utf8))
        exit(1)
    }
    var checksum = 0
    let copying = seconds { checksum = copy(corpus, rounds: rounds) }
    let megabytesDone = Double(corpus.readableBytes * rounds) / 1e6
    print(String(format: "frames/s=%.0f MB/s=%.1f copy_MB/s=%.1f frames=%d bytes_seen=%d copied=%d",
                 Double(result.frames) / decoding, megabytesDone / decoding, megabytesDone / copying,
                 framesPerRound, result.bytesSeen / rounds, checksum / rounds))
} catch {
    FileHandle.standardError.write(Data("ws-bench: \(error)\n".utf8))
    exit(1)
}
