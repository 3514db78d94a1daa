import Bytes
import HTTPServer

/// Fuzzes `HTTPRequestParser` with small limits, so generated requests can exceed each of them.
public struct HTTPFuzzTarget: FuzzTarget {
    public let name = "http"
    public let seeds: [[UInt8]]
    public let isTextual = true
    public let limits = HTTPParserLimits(maxRequestLineLength: 512, maxHeaderBytes: 1024, maxHeaderCount: 12,
                                         maxBodySize: 2048, maxChunkLineLength: 64)

    /// One parsed part, normalised: body parts are merged, since their split may differ.
    public enum Part: Equatable {
        case head(method: String, target: String, version: String, keepAlive: Bool, expectsContinue: Bool,
                  framing: String, headers: [[String]])
        case body([UInt8])
        case end(trailers: [[String]]?)
    }

    public init(seeds: [[UInt8]]) {
        self.seeds = seeds
    }

    public func generate(using rng: inout SplitMix64, maxBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<rng.int(1...3) where bytes.count < maxBytes {
            bytes += request(using: &rng)
        }
        return bytes
    }

    private func request(using rng: inout SplitMix64) -> [UInt8] {
        let method = rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "X-CUSTOM"])
        let target = method == "OPTIONS" && rng.chance(30) ? "*"
            : (rng.chance(10) ? "http://example.com" : "") + "/" + token(rng.size(upTo: 40), using: &rng)
                + (rng.chance(30) ? "?a=1&b=%20+" : "")
        let version = rng.chance(85) ? "1.1" : "1.0"
        var head = "\(method) \(target) HTTP/\(version)\r\n"
        if version == "1.1" || rng.chance(30) { head += "Host: \(token(rng.int(1...12), using: &rng))\r\n" }
        for _ in 0..<rng.size(upTo: limits.maxHeaderCount - 5) {
            // The prefix keeps random names clear of the fields the parser interprets.
            head += "X-\(token(rng.int(1...16), using: &rng)):\(rng.pick(["", " ", "\t"]))\(value(rng.size(upTo: 40), using: &rng))\r\n"
        }
        if rng.chance(10) { head += "Connection: \(rng.pick(["close", "keep-alive"]))\r\n" }
        if rng.chance(5) { head += "Expect: 100-continue\r\n" }
        let body = rng.bytes(rng.size(upTo: limits.maxBodySize))
        if version == "1.1" && rng.chance(30) {
            var bytes = Array((head + "Transfer-Encoding: \(rng.chance(80) ? "chunked" : " Chunked ")\r\n\r\n").utf8)
            var rest = body[...]
            while !rest.isEmpty {
                let size = min(rest.count, rng.int(1...300))
                let hex = String(size, radix: 16, uppercase: rng.chance(50))
                bytes += Array((hex + (rng.chance(20) ? ";ext=\"v\"" : "") + "\r\n").utf8) + rest.prefix(size) + [13, 10]
                rest = rest.dropFirst(size)
            }
            bytes += Array("0\r\n\(rng.chance(20) ? "X-Trailer: t\r\n" : "")\r\n".utf8)
            return bytes
        }
        if !body.isEmpty || rng.chance(20) { head += "Content-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + (head.contains("Content-Length") ? body : [])
    }

    private static let tokenCharacters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'*+^`|")

    private func token(_ count: Int, using rng: inout SplitMix64) -> String {
        String((0..<count).map { _ in rng.pick(Self.tokenCharacters) })
    }

    private func value(_ count: Int, using rng: inout SplitMix64) -> String {
        String((0..<count).map { _ in Character(Unicode.Scalar(UInt8(rng.int(32...126)))) })
    }

    public func probe(using rng: inout SplitMix64) -> (input: [UInt8], expectedError: String) {
        var prefix = rng.chance(50) ? "GET / HTTP/1.1\r\nHost: a\r\n\r\n" : ""
        switch rng.int(0...5) {
        case 0:
            prefix += "GET /" + String(repeating: "a", count: limits.maxRequestLineLength + rng.int(0...50))
            return (Array(prefix.utf8), "requestLineTooLong")
        case 1:
            prefix += "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X-A: b\r\n", count: limits.maxHeaderCount + rng.int(0...3)) + "\r\n"
            return (Array(prefix.utf8), "tooManyHeaders")
        case 2:
            prefix += "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: limits.maxHeaderBytes + rng.int(0...100))
            return (Array(prefix.utf8), "headersTooLarge")
        case 3:
            let length = rng.pick([limits.maxBodySize + 1, Int(Int32.max), Int.max])
            prefix += "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(length)\r\n\r\n"
            return (Array(prefix.utf8), "bodyTooLarge")
        case 4:
            prefix += "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(limits.maxBodySize + rng.int(1...1000), radix: 16) + "\r\n"
            return (Array(prefix.utf8), "bodyTooLarge")
        default:
            prefix += "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;"
                + String(repeating: "e", count: limits.maxChunkLineLength + rng.int(0...20))
            return (Array(prefix.utf8), "chunkLineTooLong")
        }
    }

    public func decode(_ chunks: [ArraySlice<UInt8>], asBuffers: Bool) -> DecodeOutcome<Part> {
        var parser = HTTPRequestParser(limits: limits)
        var outcome = DecodeOutcome<Part>()
        var bodySize = 0
        // Where the chunk being parsed starts in the input.
        var chunkStart = 0
        for chunk in chunks {
            defer { chunkStart += chunk.count }
            if asBuffers {
                parser.feed(chunk.offsetBuffer)
            } else {
                chunk.withUnsafeBytes { parser.feed($0) }
            }
            do {
                while let part = try parser.next() {
                    switch part {
                    case .head(let head):
                        bodySize = 0
                        if head.headers.count > limits.maxHeaderCount { outcome.violation = "\(head.headers.count) headers passed the limit" }
                        outcome.values.append(.head(
                            method: head.method.rawValue, target: head.target, version: head.version.description,
                            keepAlive: head.keepAlive, expectsContinue: head.expectsContinue,
                            framing: "\(head.framing)", headers: fields(head.headers)))
                    case .body(let bytes):
                        bodySize += bytes.readableBytes
                        if bodySize > limits.maxBodySize { outcome.violation = "body of \(bodySize) bytes passed the limit" }
                        if case .body(let earlier) = outcome.values.last {
                            outcome.values[outcome.values.count - 1] = .body(earlier + bytes.readableBytesView)
                        } else {
                            outcome.values.append(.body(Array(bytes.readableBytesView)))
                        }
                    case .end(let trailers):
                        outcome.values.append(.end(trailers: trailers.map(fields)))
                    }
                }
            } catch {
                // The parser rejects at the offending byte: the error comes while the chunk that
                // holds it is parsed, never later, and never points past what was fed.
                if !(chunkStart..<chunkStart + chunk.count).contains(error.offset) {
                    outcome.violation = "error at offset \(error.offset) raised while parsing bytes \(chunkStart)..<\(chunkStart + chunk.count)"
                }
                outcome.fail(error, kind: error.code.description, offset: error.offset) {
                    parser.feed(UnsafeRawBufferPointer(start: nil, count: 0))
                    do throws(HTTPParserError) { _ = try parser.next() } catch { return error }
                    return nil
                }
                return outcome
            }
        }
        outcome.partial = !parser.isIdle
        return outcome
    }

    private func fields(_ headers: HTTPHeaders) -> [[String]] {
        headers.indices.map { [headers.name(at: $0), headers.value(at: $0)] }
    }
}
