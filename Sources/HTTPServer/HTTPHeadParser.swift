import Bytes
import HTTPCodec

/// Where the byte-by-byte scan of a request head (or trailer section) stands between feeds.
/// Every byte is judged as it arrives, so the parser fails at the first byte after which the
/// stream can no longer become a valid request, without waiting for the line's end.
enum HeadPhase: UInt8, Sendable {
    // The request line.
    case requestLineStart
    /// After a CR that starts an empty line before the request line.
    case leadingLineFeed
    case method
    case targetStart
    /// origin-form (`/...`) and the rest of absolute-form, visible ASCII.
    case target
    /// absolute-form before its `:`.
    case scheme
    /// Right after the scheme's `:`, where the target may not end.
    case schemeColon
    /// After the `*` of `OPTIONS *`.
    case asterisk
    /// Inside `HTTP/D.D`, at `HeadProgress.versionIndex`.
    case version
    case requestLineCarriageReturn
    case requestLineLineFeed
    // Field lines.
    case lineStart
    case name
    /// Optional whitespace before a value.
    case valueStart
    case value
    /// Digits of a Content-Length value.
    case contentLength
    /// Whitespace after a Content-Length or Expect value, before the CR.
    case trailingWhitespace
    /// The bytes of `100-continue` in an Expect value.
    case expectation
    /// Between the elements of a Transfer-Encoding list (whitespace and commas).
    case codingStart
    case coding
    /// Whitespace after a transfer coding, before a comma or the CR.
    case codingEnd
    /// After the CR of a field line.
    case lineLineFeed
    /// After the CR of the empty line that ends the section.
    case sectionLineFeed
}

/// The fields whose values the parser reads (outside trailers), told apart at their colon.
enum FieldKind: UInt8, Sendable {
    case other, host, contentLength, transferEncoding, connection, expect
}

/// What the parser has learned so far about a request head (or a trailer section), kept across
/// feeds so that no byte is judged twice.
struct HeadProgress: Sendable {
    var methodLength = 0
    var targetStart = 0
    var targetLength = 0
    /// Bytes of `HTTP/D.D` judged so far.
    var versionIndex = 0
    var version = HTTPVersion.http1_1
    // The field line being scanned, relative to the reader index.
    var nameEnd = 0
    var valueStart = 0
    var codingStart = 0
    var kind = FieldKind.other
    // Facts of the section so far.
    var contentLength: Int?
    var transferEncoding = false
    var codingCount = 0
    var lastCodingIsChunked = false
    var unknownCoding = false
    var hasHost = false
    var connectionClose = false
    var connectionKeepAlive = false
    var expectsContinue = false

    /// Applies the rules that need the whole header section and returns the body framing;
    /// `endOffset` is the stream offset of the section's final LF.
    func framing(endOffset: Int) throws(HTTPParserError) -> HTTPBodyFraming {
        if version == .http1_1 && !hasHost { throw HTTPParserError(.missingHost, offset: endOffset) }
        if transferEncoding {
            if codingCount == 0 { throw HTTPParserError(.invalidTransferEncoding, offset: endOffset) }
            if !lastCodingIsChunked { throw HTTPParserError(.chunkedNotFinal, offset: endOffset) }
            if unknownCoding { throw HTTPParserError(.unsupportedTransferCoding, offset: endOffset) }
            return .chunked
        }
        guard let length = contentLength, length > 0 else { return .none }
        return .length(length)
    }
}

/// Outcome of scanning the buffered bytes of a head or trailer section.
enum SectionScan {
    case needMore
    /// An empty line before a request line, this many bytes long, to be dropped.
    case skip(Int)
    /// The section is complete and this many bytes long.
    case complete(Int)
    case failed(HTTPParserError)
}

extension HTTPRequestParser {
    /// Judges every byte of the request line, header section or trailer section that arrived
    /// since the previous call.
    mutating func scanSection() -> SectionScan {
        // A copy of the buffer keeps the storage alive while `self` is mutated; nothing writes to
        // the buffer meanwhile, so no copy-on-write happens.
        let view = buffer
        return view.withUnsafeReadableBytes { raw -> SectionScan in
            let count = raw.count
            guard searchFrom < count else { return .needMore }
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if case .requestLine = state {
                switch scanRequestLine(p, count: count) {
                case .needMore: return .needMore
                case .skip(let length): return .skip(length)
                case .failed(let error): return .failed(error)
                case .complete: state = .headers
                }
            }
            return scanFields(p, count: count)
        }
    }

    /// The error `code` at position `index` of the buffered bytes.
    @inline(__always)
    func error(_ code: HTTPParserError.Code, at index: Int) -> HTTPParserError {
        HTTPParserError(code, offset: consumed + index)
    }
}

/// Calls `body` with each non-empty element of the comma-separated list in `p[start..<end]`,
/// OWS trimmed.
func forEachListElement(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ body: (Int, Int) -> Void) {
    var i = start
    while i < end {
        while i < end && (p[i] == .space || p[i] == .tab) { i += 1 }
        let elementStart = i
        while i < end && p[i] != UInt8(ascii: ",") { i += 1 }
        var elementEnd = i
        while elementEnd > elementStart && (p[elementEnd - 1] == .space || p[elementEnd - 1] == .tab) { elementEnd -= 1 }
        if elementEnd > elementStart { body(elementStart, elementEnd - elementStart) }
        i += 1
    }
}

/// Whether the bytes at `p` equal the lower-case ASCII `literal`, ignoring the case of `p`.
/// Only for token bytes (names, codings) and literals of letters and `-`, where `| 0x20` folds
/// case without mistaking a control character for a letter.
///
/// Compared a word at a time, the last word overlapping the one before it: names are compared
/// for every field of every request.
@inline(__always)
func equalsLowercased(_ p: UnsafePointer<UInt8>, _ literal: StaticString) -> Bool {
    let count = literal.utf8CodeUnitCount
    let a = UnsafeRawPointer(p)
    let b = UnsafeRawPointer(literal.utf8Start)
    if count >= 8 {
        var k = 0
        while k < count - 8 {
            guard a.loadUnaligned(fromByteOffset: k, as: UInt64.self) | 0x2020_2020_2020_2020
                    == b.loadUnaligned(fromByteOffset: k, as: UInt64.self) else { return false }
            k += 8
        }
        return a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) | 0x2020_2020_2020_2020
            == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }
    if count >= 4 {
        return a.loadUnaligned(as: UInt32.self) | 0x2020_2020 == b.loadUnaligned(as: UInt32.self)
            && a.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self) | 0x2020_2020
                == b.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
    }
    for i in 0..<count where p[i] | 0x20 != literal.utf8Start[i] { return false }
    return true
}
