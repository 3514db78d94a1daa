import HTTPCodec

extension HTTPRequestParser {
    /// Judges the bytes of the field lines and the empty line that ends a header or trailer
    /// section, from `searchFrom` on.
    ///
    /// Names are tokens followed directly by a colon; values hold no control characters but HTAB;
    /// lines end in CRLF; a line may not start with whitespace (obs-fold). Outside trailers the
    /// fields that frame the message are read as they arrive: a second Host or Content-Length,
    /// Content-Length next to Transfer-Encoding, a non-digit in Content-Length, a coding after
    /// `chunked` or an expectation other than `100-continue` fail at their first wrong byte.
    mutating func scanFields(_ p: UnsafePointer<UInt8>, count: Int) -> SectionScan {
        let table = byteClasses
        let end = min(count, limits.maxHeaderBytes)
        var phase = headPhase
        var i = searchFrom
        scan: while i < end {
            // The usual line, `Name: value` or `Content-Length: digits`, goes straight from its
            // first byte to its LF; anything else continues in the phase where it departs.
            while phase == .lineStart {
                let c = p[i]
                if c == .cr {
                    phase = .sectionLineFeed
                    i &+= 1
                    continue scan
                }
                guard table[Int(c)] & HTTPByteClass.token != 0 else {
                    let code: HTTPParserError.Code = c == .space || c == .tab ? .obsoleteLineFolding
                        : c == .lf ? .bareLineFeed : .invalidHeaderName
                    return .failed(error(code, at: i))
                }
                guard fields.count < limits.maxHeaderCount else { return .failed(error(.tooManyHeaders, at: i)) }
                lineStart = i
                i = tokenEnd(p, from: i &+ 1, end: end, table: table)
                guard i < end else {
                    phase = .name
                    break scan
                }
                if let failure = colon(p, at: i) { return .failed(failure) }
                i &+= 1
                while i < end && (p[i] == .space || p[i] == .tab) { i &+= 1 }
                guard i < end else {
                    phase = .valueStart
                    break scan
                }
                head.valueStart = i
                switch head.kind {
                case .contentLength:
                    switch contentLengthDigits(p, from: i, end: end) {
                    case .success(let next): i = next
                    case .failure(let failure): return .failed(failure)
                    }
                    phase = .contentLength
                case .expect, .transferEncoding:
                    phase = valuePhase
                    continue scan
                default:
                    i = firstInvalidFieldValueByte(p, from: i, end: end, table: table)
                    phase = .value
                }
                // A CR after a non-empty value, then the LF: the line is done.
                guard i &+ 1 < end, p[i] == .cr, p[i &+ 1] == .lf, i > head.valueStart || phase == .value else { continue scan }
                if let failure = finishField(p, carriageReturn: i) { return .failed(failure) }
                phase = .lineStart
                i &+= 2
                guard i < end else { break scan }
            }
            switch phase {
            case .name:
                while i < end && table[Int(p[i])] & HTTPByteClass.token != 0 { i &+= 1 }
                guard i < end else { break scan }
                if let failure = colon(p, at: i) { return .failed(failure) }
                phase = .valueStart
                i &+= 1
            case .valueStart:
                while i < end && (p[i] == .space || p[i] == .tab) { i &+= 1 }
                guard i < end else { break scan }
                head.valueStart = i
                phase = valuePhase
            case .value:
                i = firstInvalidFieldValueByte(p, from: i, end: end, table: table)
                guard i < end else { break scan }
                guard p[i] == .cr else { return .failed(error(p[i] == .lf ? .bareLineFeed : .invalidHeaderValue, at: i)) }
                phase = .lineLineFeed
                i &+= 1
            case .lineLineFeed:
                guard p[i] == .lf else { return .failed(error(.bareCarriageReturn, at: i)) }
                if let failure = finishField(p, carriageReturn: i - 1) { return .failed(failure) }
                phase = .lineStart
                i &+= 1
            case .sectionLineFeed:
                guard p[i] == .lf else { return .failed(error(.bareCarriageReturn, at: i)) }
                return .complete(i + 1)
            case .contentLength:
                switch contentLengthDigits(p, from: i, end: end) {
                case .success(let next): i = next
                case .failure(let failure): return .failed(failure)
                }
                guard i < end else { break scan }
                let c = p[i]
                if c == .space || c == .tab {
                    phase = .trailingWhitespace
                } else if c == .cr {
                    guard i > head.valueStart else { return .failed(error(.invalidContentLength, at: i)) }
                    phase = .lineLineFeed
                } else {
                    return .failed(error(valueFailure(c, otherwise: .invalidContentLength), at: i))
                }
                i &+= 1
            case .expectation:
                // `100-continue`, compared without case; then only whitespace.
                let k = i - head.valueStart
                let c = p[i]
                let expected = Self.continueExpectation[k]
                guard c == expected || (c | 0x20 == expected && c >= UInt8(ascii: "A")) else {
                    return .failed(error(valueFailure(c, otherwise: .unsupportedExpectation), at: i))
                }
                if k == Self.continueExpectation.count - 1 { phase = .trailingWhitespace }
                i &+= 1
            case .trailingWhitespace:
                let c = p[i]
                if c == .cr {
                    phase = .lineLineFeed
                } else if c != .space && c != .tab {
                    let code: HTTPParserError.Code = head.kind == .expect ? .unsupportedExpectation : .invalidContentLength
                    return .failed(error(valueFailure(c, otherwise: code), at: i))
                }
                i &+= 1
            case .codingStart:
                let c = p[i]
                if table[Int(c)] & HTTPByteClass.token != 0 {
                    // Nothing may follow `chunked`, which must be the final coding.
                    guard !head.lastCodingIsChunked else { return .failed(error(.chunkedNotFinal, at: i)) }
                    head.codingStart = i
                    phase = .coding
                } else if c == .cr {
                    phase = .lineLineFeed
                    i &+= 1
                } else if c == .space || c == .tab || c == UInt8(ascii: ",") {
                    i &+= 1
                } else {
                    return .failed(error(valueFailure(c, otherwise: .invalidTransferEncoding), at: i))
                }
            case .coding:
                while i < end && table[Int(p[i])] & HTTPByteClass.token != 0 { i &+= 1 }
                guard i < end else { break scan }
                let c = p[i]
                if c == UInt8(ascii: ",") {
                    phase = .codingStart
                } else if c == .space || c == .tab {
                    phase = .codingEnd
                } else if c == .cr {
                    phase = .lineLineFeed
                } else {
                    return .failed(error(valueFailure(c, otherwise: .invalidTransferEncoding), at: i))
                }
                recordCoding(p, end: i)
                i &+= 1
            case .codingEnd:
                let c = p[i]
                if c == UInt8(ascii: ",") {
                    phase = .codingStart
                } else if c == .cr {
                    phase = .lineLineFeed
                } else if c != .space && c != .tab {
                    return .failed(error(valueFailure(c, otherwise: .invalidTransferEncoding), at: i))
                }
                i &+= 1
            default:
                preconditionFailure("field lines scanned in phase \(phase)")
            }
        }
        if end < count { return .failed(error(.headersTooLarge, at: end)) }
        headPhase = phase
        searchFrom = i
        return .needMore
    }

    private static let continueExpectation: [UInt8] = Array("100-continue".utf8)

    /// Judges the byte after a name, which must be its colon, and reads the name.
    @inline(__always)
    private mutating func colon(_ p: UnsafePointer<UInt8>, at i: Int) -> HTTPParserError? {
        let c = p[i]
        guard c == .colon else {
            return error(c == .space || c == .tab ? .whitespaceBeforeColon : .invalidHeaderName, at: i)
        }
        head.nameEnd = i
        guard case .headers = state else {
            head.kind = .other
            return nil
        }
        return classifyField(p, colon: i)
    }

    /// The phase that reads the value of the current field.
    private var valuePhase: HeadPhase {
        switch head.kind {
        case .contentLength: .contentLength
        case .expect: .expectation
        case .transferEncoding: .codingStart
        default: .value
        }
    }

    /// The code for byte `c` where a value's grammar allows none of what it could be: a bare
    /// LF, a byte no field value may hold, or else `code` (a CR too: the value ended early).
    @inline(__always)
    private func valueFailure(_ c: UInt8, otherwise code: HTTPParserError.Code) -> HTTPParserError.Code {
        if c == .lf { return .bareLineFeed }
        if c == .cr { return code }
        return byteClasses[Int(c)] & HTTPByteClass.fieldValue == 0 ? .invalidHeaderValue : code
    }

    /// Tells the fields the parser reads by their name, which ends at `colon`, and applies the
    /// rules a name alone decides.
    private mutating func classifyField(_ p: UnsafePointer<UInt8>, colon: Int) -> HTTPParserError? {
        let name = p + lineStart
        head.kind = .other
        switch colon - lineStart {
        case 4 where equalsLowercased(name, "host"):
            guard !head.hasHost else { return error(.duplicateHost, at: colon) }
            head.hasHost = true
        case 6 where equalsLowercased(name, "expect"):
            head.kind = .expect
        case 10 where equalsLowercased(name, "connection"):
            head.kind = .connection
        case 14 where equalsLowercased(name, "content-length"):
            guard head.contentLength == nil else { return error(.duplicateContentLength, at: colon) }
            guard !head.transferEncoding else { return error(.contentLengthWithTransferEncoding, at: colon) }
            head.contentLength = 0
            head.kind = .contentLength
        case 17 where equalsLowercased(name, "transfer-encoding"):
            if head.version == .http1_0 { return error(.transferEncodingInHTTP10, at: colon) }
            guard head.contentLength == nil else { return error(.contentLengthWithTransferEncoding, at: colon) }
            head.transferEncoding = true
            head.kind = .transferEncoding
        default:
            break
        }
        return nil
    }

    /// Reads the digits of a Content-Length value from `start` on and returns the index after
    /// them: a value that cannot fit an `Int` or exceeds the body limit fails at the digit that
    /// makes it so.
    @inline(__always)
    private mutating func contentLengthDigits(_ p: UnsafePointer<UInt8>, from start: Int, end: Int) -> Result<Int, HTTPParserError> {
        var length = head.contentLength ?? 0
        var i = start
        while i < end {
            let digit = p[i] &- 0x30
            guard digit < 10 else { break }
            let (times10, o1) = length.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(digit))
            guard !o1, !o2 else { return .failure(error(.invalidContentLength, at: i)) }
            guard sum <= limits.maxBodySize else { return .failure(error(.bodyTooLarge, at: i)) }
            length = sum
            i &+= 1
        }
        head.contentLength = length
        return .success(i)
    }

    /// Counts the transfer coding from `head.codingStart` to `end`.
    private mutating func recordCoding(_ p: UnsafePointer<UInt8>, end: Int) {
        let chunked = end - head.codingStart == 7 && equalsLowercased(p + head.codingStart, "chunked")
        head.codingCount += 1
        if !chunked { head.unknownCoding = true }
        head.lastCodingIsChunked = chunked
    }

    /// Stores the field line whose CR is at `carriageReturn` and reads what its value says.
    private mutating func finishField(_ p: UnsafePointer<UInt8>, carriageReturn: Int) -> HTTPParserError? {
        let valueStart = head.valueStart
        var valueEnd = carriageReturn
        while valueEnd > valueStart && (p[valueEnd - 1] == .space || p[valueEnd - 1] == .tab) { valueEnd -= 1 }
        // Positions are below `maxHeaderBytes`, which `init` keeps within `UInt32`.
        fields.append(FieldStorage.Field(
            nameStart: UInt32(truncatingIfNeeded: lineStart), nameLength: UInt32(truncatingIfNeeded: head.nameEnd &- lineStart),
            valueStart: UInt32(truncatingIfNeeded: valueStart), valueLength: UInt32(truncatingIfNeeded: valueEnd &- valueStart)
        ))
        switch head.kind {
        case .connection:
            forEachListElement(p, valueStart, valueEnd) { start, length in
                if length == 5 && equalsLowercased(p + start, "close") { head.connectionClose = true }
                if length == 10 && equalsLowercased(p + start, "keep-alive") { head.connectionKeepAlive = true }
            }
        case .expect:
            // HTTP/1.0 clients do not wait for 100 Continue, so it must not be sent to them.
            head.expectsContinue = head.version == .http1_1
        default:
            break
        }
        return nil
    }
}
