import Bytes
import HTTPServer
import Testing
import TestSupport

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
                        method: head.method.rawValue, target: head.target, version: head.version,
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

/// Parses `bytes` in every feeding; expects every fragmentation to give the same outcome and
/// returns it.
func parseEveryWay(_ bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits(),
                   sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
    decodedEveryWay(bytes, sourceLocation: sourceLocation) { parse($0, limits: limits) }
}

func parseEveryWay(_ text: String, limits: HTTPParserLimits = HTTPParserLimits(),
                   sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
    parseEveryWay(Array(text.utf8), limits: limits, sourceLocation: sourceLocation)
}

/// The marker that precedes the offending byte in a test input.
let offendingByteMarker: Character = "¦"

/// `text` without its marker, as bytes.
func unmarked(_ text: String) -> [UInt8] {
    Array(text.filter { $0 != offendingByteMarker }.utf8)
}

/// The offset of the byte that follows the marker in `text` once the marker is removed.
func marker(in text: String) -> Int {
    guard let index = text.firstIndex(of: offendingByteMarker) else { preconditionFailure("no marker in \(text.debugDescription)") }
    return text[..<index].utf8.count
}

/// Expects `text` (with its marker removed) to be rejected with `expected` however it is split,
/// and, fed one byte at a time, to fail exactly when the byte at `expected.offset` arrives.
func expectRejectedAtMark(_ text: String, _ expected: HTTPParserError, status: Int,
                          limits: HTTPParserLimits = HTTPParserLimits(),
                          sourceLocation: SourceLocation = #_sourceLocation) {
    let bytes = unmarked(text)
    let outcome = parseEveryWay(bytes, limits: limits, sourceLocation: sourceLocation)
    #expect(outcome.end == .error(expected), sourceLocation: sourceLocation)
    #expect(expected.status.code == status, sourceLocation: sourceLocation)
    var parser = HTTPRequestParser(limits: limits)
    for (index, byte) in bytes.enumerated() {
        parser.feed(ByteBuffer(bytes: [byte]))
        do {
            while try parser.next() != nil {}
        } catch {
            #expect(index == expected.offset, "rejected when byte \(index) arrived, not byte \(expected.offset)",
                    sourceLocation: sourceLocation)
            return
        }
    }
    Issue.record("not rejected", sourceLocation: sourceLocation)
}

/// The head of the single request in `text`.
func parsedHead(_ text: String) throws -> HTTPRequestHead {
    var parser = HTTPRequestParser()
    parser.feed(ByteBuffer(string: text))
    guard case .head(let head) = try parser.next() else { throw NoHead(text: text) }
    return head
}

struct NoHead: Error {
    var text: String
}
