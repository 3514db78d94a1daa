import Bytes
import HTTPClient
import Testing
import TestSupport

/// One response as the parser delivered it, in comparable form.
struct ParsedResponse: Equatable {
    var status: Int
    var reason: String
    var minorVersion: Int
    var headers: [[String]]
    var body: [UInt8]
    var trailers: [[String]]
    var keepAlive: Bool
}

/// How the stream ended after every chunk was fed (and `finish()` called when asked).
enum StreamEnd: Equatable {
    case complete
    case incomplete
    case error(HTTPResponseParserError)
}

struct ResponseOutcome: Equatable {
    var responses: [ParsedResponse] = []
    var end: StreamEnd = .complete
}

/// Feeds `chunks` in turn, draining the parser after each, then `finish()` when `closeAtEnd`.
/// `headResponses` lists the indices of responses that answer HEAD requests.
func parseResponses(_ chunks: [ArraySlice<UInt8>], limits: HTTPResponseLimits = HTTPResponseLimits(),
                    closeAtEnd: Bool = false, headResponses: Set<Int> = []) -> ResponseOutcome {
    var parser = HTTPResponseParser(limits: limits)
    var outcome = ResponseOutcome()
    var current: ParsedResponse?
    parser.isResponseToHEAD = headResponses.contains(0)
    func drain() throws(HTTPResponseParserError) {
        while let part = try parser.next() {
            switch part {
            case .head(let head):
                current = ParsedResponse(status: head.status, reason: head.reason, minorVersion: head.minorVersion,
                                         headers: head.headers.map { [$0.name, $0.value] }, body: [], trailers: [], keepAlive: head.keepAlive)
            case .body(let bytes):
                current!.body += bytes.readableBytesView
            case .end(let trailers):
                current!.trailers = trailers.map { [$0.name, $0.value] }
                outcome.responses.append(current!)
                current = nil
                parser.isResponseToHEAD = headResponses.contains(outcome.responses.count)
            }
        }
    }
    do {
        for chunk in chunks {
            parser.feed(ByteBuffer(bytes: chunk))
            try drain()
        }
        if closeAtEnd {
            parser.finish()
            try drain()
        }
        outcome.end = parser.isIdle ? .complete : .incomplete
    } catch {
        outcome.end = .error(error)
    }
    return outcome
}

/// Parses `text` in every feeding; expects every fragmentation to give the same outcome and
/// returns it.
func parseEveryWay(_ text: String, limits: HTTPResponseLimits = HTTPResponseLimits(), closeAtEnd: Bool = false,
                   headResponses: Set<Int> = [], sourceLocation: SourceLocation = #_sourceLocation) -> ResponseOutcome {
    decodedEveryWay(Array(text.utf8), sourceLocation: sourceLocation) {
        parseResponses($0, limits: limits, closeAtEnd: closeAtEnd, headResponses: headResponses)
    }
}

/// The reason of the error `text` ends in, parsed every way.
func failure(_ text: String, limits: HTTPResponseLimits = HTTPResponseLimits(), closeAtEnd: Bool = false,
             sourceLocation: SourceLocation = #_sourceLocation) -> HTTPResponseParserError.Reason? {
    if case .error(let error) = parseEveryWay(text, limits: limits, closeAtEnd: closeAtEnd, sourceLocation: sourceLocation).end {
        return error.reason
    }
    return nil
}
