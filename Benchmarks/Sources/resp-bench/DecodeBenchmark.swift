import Foundation
import RESP

/// Decoder throughput on a RESP corpus file fed in 16 KiB chunks, printed in the same format as
/// the hiredis reader benchmark so the script can compare the two lines.
enum DecodeBenchmark {
    static func run(corpusPath: String, rounds: Int) throws {
        guard let data = FileManager.default.contents(atPath: corpusPath) else {
            throw BenchmarkFailure("cannot read \(corpusPath)")
        }
        let corpus = [UInt8](data)
        let chunkSize = 16 * 1024
        var replies = 0
        let start = ContinuousClock.now
        try corpus.withUnsafeBytes { bytes in
            for _ in 0..<rounds {
                var decoder = RESPDecoder()
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + chunkSize, bytes.count)
                    decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
                    offset = end
                    while try decoder.next() != nil { replies += 1 }
                }
                guard !decoder.hasPartialValue else { throw BenchmarkFailure("corpus ends mid-value") }
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let perRound = replies / rounds
        print(String(format: "replies/s=%.0f MB/s=%.1f replies=%d", Double(replies) / seconds, Double(corpus.count * rounds) / seconds / 1e6, perRound))
    }
}

/// A benchmark that could not run, with the reason.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
