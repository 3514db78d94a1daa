import Bytes
import CommandLineOptions
import Foundation
import HTTPServer

/// Parser throughput on a pipelined request corpus fed in 16 KiB chunks, touching every header
/// name, value and body part as a server would.
///
/// usage: http-bench CORPUS [ROUNDS]   prints requests/s, MB/s and requests per round.

/// Parses `corpus` `rounds` times; returns requests parsed and bytes of target, fields and
/// bodies seen. Counters are locals: globals of a main file get dynamic exclusivity checks.
func parseCorpus(_ corpus: ByteBuffer, rounds: Int) throws(HTTPParserError) -> (requests: Int, bytesSeen: Int) {
    let chunkSize = 16 * 1024
    var requests = 0
    var bytesSeen = 0
    for _ in 0..<rounds {
        var parser = HTTPRequestParser()
        var offset = 0
        while offset < corpus.readableBytes {
            let length = min(chunkSize, corpus.readableBytes - offset)
            parser.feed(corpus.getSlice(at: corpus.readerIndex + offset, length: length)!)
            offset += length
            parsing: while true {
                switch try parser.next() {
                case .head(let head):
                    bytesSeen &+= head.withUnsafeTarget { $0.count }
                    for index in head.headers.indices {
                        bytesSeen &+= head.headers.withUnsafeField(at: index) { $0.count &+ $1.count }
                    }
                case .body(let body):
                    bytesSeen &+= body.readableBytes
                case .end:
                    requests &+= 1
                case nil:
                    break parsing
                }
            }
        }
    }
    return (requests, bytesSeen)
}

let syntax = CommandSyntax(
    "http-bench", summary: "HTTP/1.1 request parser throughput on a pipelined corpus fed in 16 KiB chunks; prints requests/s and MB/s",
    arguments: [.init("CORPUS", "the requests, back to back (Benchmarks/corpus/http-requests.py writes one)"),
                .init("ROUNDS", "passes over the corpus (default 5)", optional: true)])
let parsed = syntax.parseOrExit()
let rounds: Int
do { rounds = try parsed.intArgument(1, default: 5, in: 1...Int.max) } catch { syntax.fail(error) }
guard let data = FileManager.default.contents(atPath: parsed.arguments[0]) else { syntax.fail(CommandLineError("cannot read CORPUS '\(parsed.arguments[0])'")) }
let corpus = ByteBuffer(bytes: data)
let start = DispatchTime.now().uptimeNanoseconds
do {
    let (requests, bytesSeen) = try parseCorpus(corpus, rounds: rounds)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    print(String(format: "requests/s=%.0f MB/s=%.1f requests=%d bytes_seen=%d", Double(requests) / seconds,
                 Double(corpus.readableBytes * rounds) / seconds / 1e6, requests / rounds, bytesSeen / rounds))
} catch {
    FileHandle.standardError.write(Data("parse error: \(error)\n".utf8))
    exit(1)
}
