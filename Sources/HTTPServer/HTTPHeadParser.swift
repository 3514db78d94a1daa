import Bytes
import Glibc

/// What the parser has learned so far about a request head (or a trailer section), kept across
/// feeds so that no completed line is parsed twice.
struct HeadProgress: Sendable {
    var methodLength = 0
    var targetStart = 0
    var targetLength = 0
    var version = HTTPVersion.http1_1
    var contentLength: Int?
    var contentLengthOffset = 0
    var transferEncodingOffset: Int?
    var codingCount = 0
    var chunkedCount = 0
    var lastCodingIsChunked = false
    var unknownCoding = false
    var hostCount = 0
    var connectionClose = false
    var connectionKeepAlive = false
    var expectsContinue = false

    /// Applies the rules that need the whole header section and returns the body framing.
    func framing(limits: HTTPParserLimits, endOffset: Int) throws(HTTPParserError) -> HTTPBodyFraming {
        if version == .http1_1 && hostCount == 0 { throw HTTPParserError(.missingHost, offset: endOffset) }
        if let teOffset = transferEncodingOffset {
            if version == .http1_0 { throw HTTPParserError(.transferEncodingInHTTP10, offset: teOffset) }
            if contentLength != nil {
                throw HTTPParserError(.contentLengthWithTransferEncoding, offset: max(teOffset, contentLengthOffset))
            }
            if codingCount == 0 { throw HTTPParserError(.invalidTransferEncoding, offset: teOffset) }
            if !lastCodingIsChunked || chunkedCount > 1 { throw HTTPParserError(.chunkedNotFinal, offset: teOffset) }
            if unknownCoding { throw HTTPParserError(.unsupportedTransferCoding, offset: teOffset) }
            return .chunked
        }
        guard let length = contentLength, length > 0 else { return .none }
        if length > limits.maxBodySize { throw HTTPParserError(.bodyTooLarge, offset: contentLengthOffset) }
        return .length(length)
    }
}

/// Outcome of scanning for complete lines of a head or trailer section.
enum LineScan {
    case needMore
    /// A blank line before a request line, to be dropped.
    case skip(Int)
    /// The section is complete and this many bytes long.
    case complete(Int)
    case failed(HTTPParserError)
}

extension HTTPRequestParser {
    /// Parses every complete line of the request line, header section or trailer section that is
    /// buffered, resuming where the previous call stopped.
    mutating func scanLines() -> LineScan {
        // A copy of the buffer keeps the storage alive while `self` is mutated; nothing writes to
        // the buffer meanwhile, so no copy-on-write happens.
        let view = buffer
        return view.withUnsafeReadableBytes { raw -> LineScan in
            let count = raw.count
            guard count > 0 else { return .needMore }
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var atHeaderLine: Bool
            if case .requestLine = state { atHeaderLine = false } else { atHeaderLine = true }
            while true {
                if searchFrom == lineStart, atHeaderLine {
                    switch Self.scanCleanFieldLine(p, start: lineStart, count: count) {
                    case .field(let lineEnd, let nameEnd, let valueStart, let valueEnd):
                        if lineEnd > limits.maxHeaderBytes {
                            return .failed(HTTPParserError(.headersTooLarge, offset: consumed + limits.maxHeaderBytes))
                        }
                        if let error = recordField(p, start: lineStart, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd) {
                            return .failed(error)
                        }
                        lineStart = lineEnd
                        searchFrom = lineEnd
                        continue
                    case .endOfSection(let lineEnd):
                        if lineEnd > limits.maxHeaderBytes {
                            return .failed(HTTPParserError(.headersTooLarge, offset: consumed + limits.maxHeaderBytes))
                        }
                        return .complete(lineEnd)
                    case .incomplete(let scannedTo):
                        searchFrom = scannedTo
                        return unterminated(count)
                    case .irregular:
                        break
                    }
                }
                guard searchFrom < count, let hit = memchr(p + searchFrom, Int32(UInt8.lf), count - searchFrom) else {
                    searchFrom = count
                    return unterminated(count)
                }
                let lf = UnsafeRawPointer(hit) - UnsafeRawPointer(p)
                let lineEnd = lf + 1
                searchFrom = lineEnd
                if case .requestLine = state {
                    if lineEnd > limits.maxRequestLineLength {
                        return .failed(HTTPParserError(.requestLineTooLong, offset: consumed + limits.maxRequestLineLength))
                    }
                    guard lf > 0, p[lf - 1] == .cr else { return .failed(HTTPParserError(.bareLineFeed, offset: consumed + lf)) }
                    if lf == 1 { return .skip(2) }
                    if let error = parseRequestLine(p, end: lf - 1) { return .failed(error) }
                    state = .headers
                    atHeaderLine = true
                } else {
                    if lineEnd > limits.maxHeaderBytes {
                        return .failed(HTTPParserError(.headersTooLarge, offset: consumed + limits.maxHeaderBytes))
                    }
                    guard lf > lineStart, p[lf - 1] == .cr else {
                        return .failed(HTTPParserError(.bareLineFeed, offset: consumed + lf))
                    }
                    if lf - 1 == lineStart { return .complete(lineEnd) }
                    if let error = parseField(p, start: lineStart, end: lf - 1) { return .failed(error) }
                }
                lineStart = lineEnd
            }
        }
    }

    /// Outcome of the single-pass scan of a header line.
    private enum CleanLine {
        case field(lineEnd: Int, nameEnd: Int, valueStart: Int, valueEnd: Int)
        case endOfSection(lineEnd: Int)
        /// No line end among the buffered bytes, all of which (up to `scannedTo`) hold no LF.
        case incomplete(scannedTo: Int)
        /// Anything unusual, left to the general path that finds the LF first.
        case irregular
    }

    /// Parses a well-formed header line starting at `lineStart` in one pass, without searching
    /// for its LF first: the value scan stops at the first control byte, which is the CR of the
    /// CRLF in the usual case. Every other outcome is left to the general path, so both paths
    /// report the same errors.
    private static func scanCleanFieldLine(_ p: UnsafePointer<UInt8>, start: Int, count: Int) -> CleanLine {
        let table = HTTPByteClass.table
        guard start < count else { return .incomplete(scannedTo: start) }
        if p[start] == .cr {
            guard start + 1 < count else { return .incomplete(scannedTo: start) }
            return p[start + 1] == .lf ? .endOfSection(lineEnd: start + 2) : .irregular
        }
        var i = start
        while i < count && table[Int(p[i])] & HTTPByteClass.token != 0 { i &+= 1 }
        guard i < count else { return .incomplete(scannedTo: count) }
        guard i > start, p[i] == .colon else { return .irregular }
        let nameEnd = i
        i &+= 1
        while i < count && (p[i] == .space || p[i] == .tab) { i &+= 1 }
        let valueStart = i
        i = firstInvalidFieldValueByte(p, from: i, end: count)
        guard i < count else { return .incomplete(scannedTo: count) }
        guard p[i] == .cr else { return .irregular }
        guard i + 1 < count else { return .incomplete(scannedTo: i) }
        guard p[i + 1] == .lf else { return .irregular }
        var valueEnd = i
        while valueEnd > valueStart && (p[valueEnd - 1] == .space || p[valueEnd - 1] == .tab) { valueEnd -= 1 }
        return .field(lineEnd: i + 2, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd)
    }

    /// Checks the limits against a line that has no LF yet, so a peer cannot make us buffer more
    /// than a limit while it withholds the line end.
    private mutating func unterminated(_ count: Int) -> LineScan {
        if case .requestLine = state {
            if count > limits.maxRequestLineLength {
                return .failed(HTTPParserError(.requestLineTooLong, offset: consumed + limits.maxRequestLineLength))
            }
        } else if count > limits.maxHeaderBytes {
            return .failed(HTTPParserError(.headersTooLarge, offset: consumed + limits.maxHeaderBytes))
        }
        return .needMore
    }

    /// Parses `method SP request-target SP HTTP-version` in `p[0..<end]` (the line without CRLF).
    private mutating func parseRequestLine(_ p: UnsafePointer<UInt8>, end: Int) -> HTTPParserError? {
        let table = HTTPByteClass.table
        var i = 0
        while i < end && table[Int(p[i])] & HTTPByteClass.token != 0 { i += 1 }
        guard i > 0, i < end, p[i] == .space else {
            return HTTPParserError(i == end && i > 0 ? .invalidRequestLine : .invalidMethod, offset: consumed + i)
        }
        let methodLength = i
        i += 1
        let targetStart = i
        while i < end && table[Int(p[i])] & HTTPByteClass.target != 0 { i += 1 }
        guard i > targetStart, i < end, p[i] == .space else {
            let code: HTTPParserError.Code = i < end && p[i] != .space ? .invalidTarget : .invalidRequestLine
            return HTTPParserError(code, offset: consumed + i)
        }
        let targetLength = i - targetStart
        i += 1
        // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive, then the line ends.
        guard end - i == 8,
              memcmp(p + i, "HTTP/", 5) == 0,
              p[i + 5] &- 0x30 < 10, p[i + 6] == UInt8(ascii: "."), p[i + 7] &- 0x30 < 10
        else { return HTTPParserError(.invalidVersion, offset: consumed + i) }
        let version = HTTPVersion(major: Int(p[i + 5] &- 0x30), minor: Int(p[i + 7] &- 0x30))
        guard version == .http1_1 || version == .http1_0 else {
            return HTTPParserError(.unsupportedVersion, offset: consumed + i)
        }
        if let error = checkTargetForm(p, methodLength: methodLength, start: targetStart, length: targetLength) {
            return error
        }
        head.methodLength = methodLength
        head.targetStart = targetStart
        head.targetLength = targetLength
        head.version = version
        return nil
    }

    /// origin-form (`/...`), absolute-form (`scheme:...`), or `*` for OPTIONS only.
    private mutating func checkTargetForm(_ p: UnsafePointer<UInt8>, methodLength: Int, start: Int, length: Int) -> HTTPParserError? {
        if p[start] == UInt8(ascii: "/") { return nil }
        if methodLength == 7 && memcmp(p, "CONNECT", 7) == 0 {
            return HTTPParserError(.connectNotSupported, offset: consumed)
        }
        if length == 1 && p[start] == UInt8(ascii: "*") {
            return methodLength == 7 && memcmp(p, "OPTIONS", 7) == 0 ? nil : HTTPParserError(.invalidTarget, offset: consumed + start)
        }
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed by ":".
        guard (p[start] | 0x20) &- UInt8(ascii: "a") < 26 else { return HTTPParserError(.invalidTarget, offset: consumed + start) }
        var i = start + 1
        while i < start + length {
            let c = p[i]
            if c == .colon { return i + 1 < start + length ? nil : HTTPParserError(.invalidTarget, offset: consumed + i) }
            let ok = (c | 0x20) &- UInt8(ascii: "a") < 26 || c &- 0x30 < 10
                || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
            guard ok else { break }
            i += 1
        }
        return HTTPParserError(.invalidTarget, offset: consumed + i)
    }

    /// Parses `name ":" OWS value OWS` in `p[start..<end]`.
    private mutating func parseField(_ p: UnsafePointer<UInt8>, start: Int, end: Int) -> HTTPParserError? {
        let table = HTTPByteClass.table
        if p[start] == .space || p[start] == .tab { return HTTPParserError(.obsoleteLineFolding, offset: consumed + start) }
        var i = start
        while i < end && table[Int(p[i])] & HTTPByteClass.token != 0 { i += 1 }
        guard i > start, i < end, p[i] == .colon else {
            var j = i
            while i > start && j < end && (p[j] == .space || p[j] == .tab) { j += 1 }
            let code: HTTPParserError.Code = j > i && j < end && p[j] == .colon ? .whitespaceBeforeColon : .invalidHeaderName
            return HTTPParserError(code, offset: consumed + i)
        }
        let nameLength = i - start
        i += 1
        while i < end && (p[i] == .space || p[i] == .tab) { i += 1 }
        let valueStart = i
        i = firstInvalidFieldValueByte(p, from: i, end: end)
        guard i == end else { return HTTPParserError(.invalidHeaderValue, offset: consumed + i) }
        var valueEnd = end
        while valueEnd > valueStart && (p[valueEnd - 1] == .space || p[valueEnd - 1] == .tab) { valueEnd -= 1 }
        return recordField(p, start: start, nameEnd: start + nameLength, valueStart: valueStart, valueEnd: valueEnd)
    }

    /// Stores a validated field and, outside trailers, applies the rules of the fields that
    /// frame the message.
    private mutating func recordField(_ p: UnsafePointer<UInt8>, start: Int, nameEnd: Int, valueStart: Int, valueEnd: Int) -> HTTPParserError? {
        let nameLength = nameEnd - start
        guard fields.count < limits.maxHeaderCount else {
            return HTTPParserError(.tooManyHeaders, offset: consumed + start)
        }
        fields.append(HTTPHeaders.Field(
            nameStart: UInt32(start), nameLength: UInt32(nameLength),
            valueStart: UInt32(valueStart), valueLength: UInt32(valueEnd - valueStart)
        ))
        if case .trailers = state { return nil }
        return interpretField(p, name: start, nameLength: nameLength, value: valueStart, valueEnd: valueEnd)
    }

    private mutating func interpretField(
        _ p: UnsafePointer<UInt8>, name: Int, nameLength: Int, value: Int, valueEnd: Int
    ) -> HTTPParserError? {
        switch nameLength {
        case 4 where equalsLowercased(p + name, "host"):
            head.hostCount += 1
            if head.hostCount > 1 { return HTTPParserError(.duplicateHost, offset: consumed + name) }
        case 6 where equalsLowercased(p + name, "expect"):
            guard valueEnd - value == 12, equalsLowercased(p + value, "100-continue") else {
                return HTTPParserError(.unsupportedExpectation, offset: consumed + value)
            }
            // HTTP/1.0 clients do not wait for 100 Continue, so it must not be sent to them.
            head.expectsContinue = head.version == .http1_1
        case 10 where equalsLowercased(p + name, "connection"):
            forEachListElement(p, value, valueEnd) { start, length in
                if length == 5 && equalsLowercased(p + start, "close") { head.connectionClose = true }
                if length == 10 && equalsLowercased(p + start, "keep-alive") { head.connectionKeepAlive = true }
                return true
            }
        case 14 where equalsLowercased(p + name, "content-length"):
            if head.contentLength != nil { return HTTPParserError(.duplicateContentLength, offset: consumed + name) }
            guard valueEnd > value else { return HTTPParserError(.invalidContentLength, offset: consumed + value) }
            var length = 0
            for i in value..<valueEnd {
                let digit = p[i] &- 0x30
                guard digit < 10 else { return HTTPParserError(.invalidContentLength, offset: consumed + i) }
                let (times10, o1) = length.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int(digit))
                guard !o1, !o2 else { return HTTPParserError(.invalidContentLength, offset: consumed + i) }
                length = sum
            }
            head.contentLength = length
            head.contentLengthOffset = consumed + name
        case 17 where equalsLowercased(p + name, "transfer-encoding"):
            head.transferEncodingOffset = consumed + name
            let table = HTTPByteClass.table
            let wellFormed = forEachListElement(p, value, valueEnd) { start, length in
                for i in start..<start + length where table[Int(p[i])] & HTTPByteClass.token == 0 { return false }
                let chunked = length == 7 && equalsLowercased(p + start, "chunked")
                head.codingCount += 1
                if chunked { head.chunkedCount += 1 } else { head.unknownCoding = true }
                head.lastCodingIsChunked = chunked
                return true
            }
            if !wellFormed { return HTTPParserError(.invalidTransferEncoding, offset: consumed + value) }
        default:
            break
        }
        return nil
    }
}

/// Calls `body` with each non-empty element of the comma-separated list in `p[start..<end]`,
/// OWS trimmed; stops and returns false as soon as `body` does.
@discardableResult
func forEachListElement(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ body: (Int, Int) -> Bool) -> Bool {
    var i = start
    while i < end {
        while i < end && (p[i] == .space || p[i] == .tab) { i += 1 }
        let elementStart = i
        while i < end && p[i] != UInt8(ascii: ",") { i += 1 }
        var elementEnd = i
        while elementEnd > elementStart && (p[elementEnd - 1] == .space || p[elementEnd - 1] == .tab) { elementEnd -= 1 }
        if elementEnd > elementStart && !body(elementStart, elementEnd - elementStart) { return false }
        i += 1
    }
    return true
}

/// Whether the bytes at `p` equal the lower-case ASCII `literal`, ignoring the case of `p`.
/// Only valid for literals of letters, digits and `-`, where `| 0x20` folds case safely.
func equalsLowercased(_ p: UnsafePointer<UInt8>, _ literal: StaticString) -> Bool {
    let q = literal.utf8Start
    for i in 0..<literal.utf8CodeUnitCount where p[i] | 0x20 != q[i] { return false }
    return true
}
