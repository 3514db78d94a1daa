import Bytes
import HTTPServer
import Testing

/// One request as the parser delivered it, in comparable form.
struct ParsedRequest: Equatable, CustomStringConvertible {
    var method: String
    var target: String
    var version: HTTPVersion
    var headers: [[String]]
    var body: [UInt8]
    var trailers: [[String]]?
    var keepAlive: Bool
    var expectsContinue: Bool

    var description: String { "\(method) \(target) \(version) \(headers) body=\(body.count) trailers=\(String(describing: trailers)) keepAlive=\(keepAlive)" }
}

/// How a stream ended after all chunks were fed.
enum StreamEnd: Equatable {
    case complete
    case incomplete
    case error(HTTPParserError)
}

struct ParseOutcome: Equatable {
    var requests: [ParsedRequest] = []
    var end: StreamEnd = .complete
}

/// Feeds `chunks` one after another, draining the parser after each, and collects the requests.
func parse(_ chunks: [ArraySlice<UInt8>], limits: HTTPParserLimits = HTTPParserLimits()) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    var current: ParsedRequest?
    do {
        for chunk in chunks {
            parser.feed(ByteBuffer(bytes: chunk))
            while let part = try parser.next() {
                switch part {
                case .head(let head):
                    current = ParsedRequest(
                        method: head.method, target: head.target, version: head.version,
                        headers: head.headers.map { [$0.name, $0.value] }, body: [], trailers: nil,
                        keepAlive: head.keepAlive, expectsContinue: head.expectsContinue)
                case .body(let bytes):
                    current!.body += bytes.readableBytesView
                case .end(let trailers):
                    current!.trailers = trailers.map { $0.map { [$0.name, $0.value] } }
                    outcome.requests.append(current!)
                    current = nil
                }
            }
        }
        outcome.end = parser.isIdle ? .complete : .incomplete
    } catch {
        outcome.end = .error(error)
    }
    return outcome
}

/// Parses `bytes` fed whole, byte by byte, and split in two at every position; expects every
/// fragmentation to give the same outcome and returns it.
func parseEveryWay(_ bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits(),
                   sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
    let whole = parse([bytes[...]], limits: limits)
    let bytewise = parse(bytes.indices.map { bytes[$0...$0] }, limits: limits)
    #expect(bytewise == whole, "byte by byte", sourceLocation: sourceLocation)
    for cut in 1..<max(bytes.count, 1) {
        let split = parse([bytes[..<cut], bytes[cut...]], limits: limits)
        #expect(split == whole, "split at \(cut)", sourceLocation: sourceLocation)
        if split != whole { break }
    }
    return whole
}

func parseEveryWay(_ text: String, limits: HTTPParserLimits = HTTPParserLimits(),
                   sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
    parseEveryWay(Array(text.utf8), limits: limits, sourceLocation: sourceLocation)
}
