/// Where the byte-by-byte scan of a chunk-size line stands between feeds.
enum ChunkLinePhase: UInt8, Sendable {
    case size
    /// After `;`, where an extension name must start.
    case extensionStart
    case extensionName
    /// After `=`, where a token or a quoted string must start.
    case extensionValueStart
    case extensionToken
    case quoted
    /// After a backslash in a quoted string.
    case quotedEscape
    /// After the closing quote.
    case quotedEnd
    /// After the CR.
    case lineFeed
}

/// Outcome of scanning a chunk-size line.
enum ChunkLineScan {
    case needMore
    /// The line is `length` bytes long (CRLF included) and announces `size` bytes of data.
    case complete(length: Int, size: Int)
    case failed(HTTPParserError)
}

extension HTTPRequestParser {
    /// Judges the bytes of `chunk-size *( ";" name [ "=" ( token / quoted-string ) ] ) CRLF` from
    /// `searchFrom` on; extensions carry nothing we use, so they are checked and skipped.
    ///
    /// RFC 9112 §7.1.1 allows whitespace (BWS) around ";" and "=", but llhttp's strict mode
    /// rejects it, as does this parser: peers that disagree on how a chunk line is read are a
    /// request smuggling vector. A size that would take the body past its limit fails at the
    /// digit that does.
    mutating func scanChunkLine() -> ChunkLineScan {
        let view = buffer
        return view.withUnsafeReadableBytes { raw -> ChunkLineScan in
            let count = raw.count
            guard searchFrom < count else { return .needMore }
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let table = HTTPByteClass.table
            let end = min(count, limits.maxChunkLineLength)
            var phase = chunkLinePhase
            var i = searchFrom
            while i < end {
                let c = p[i]
                let isToken = table[Int(c)] & HTTPByteClass.token != 0
                switch phase {
                case .size:
                    if table[Int(c)] & HTTPByteClass.hex != 0 {
                        let digit = c <= UInt8(ascii: "9") ? c &- 0x30 : (c | 0x20) &- UInt8(ascii: "a") &+ 10
                        guard chunkSize <= (Int.max >> 4) else { return .failed(error(.invalidChunkSize, at: i)) }
                        chunkSize = chunkSize << 4 | Int(digit)
                        guard chunkSize <= limits.maxBodySize - chunkedBodySize else { return .failed(error(.bodyTooLarge, at: i)) }
                    } else if c == .lf {
                        return .failed(error(.bareLineFeed, at: i))
                    } else if i == 0 || (c != UInt8(ascii: ";") && c != .cr) {
                        // Right after the digits only ";" or the line end may follow: anything
                        // else, a space included, is a bad size, as llhttp reports it.
                        return .failed(error(.invalidChunkSize, at: i))
                    } else {
                        phase = c == .cr ? .lineFeed : .extensionStart
                    }
                case .extensionStart:
                    guard isToken else { return .failed(error(.invalidChunkExtension, at: i)) }
                    phase = .extensionName
                case .extensionName, .extensionToken:
                    if c == UInt8(ascii: "=") && phase == .extensionName {
                        phase = .extensionValueStart
                    } else if !isToken, let next = extensionEnd(c, at: i, &phase) {
                        return .failed(next)
                    }
                case .extensionValueStart:
                    if c == UInt8(ascii: "\"") {
                        phase = .quoted
                    } else if isToken {
                        phase = .extensionToken
                    } else {
                        return .failed(error(.invalidChunkExtension, at: i))
                    }
                case .quoted:
                    if c == UInt8(ascii: "\"") {
                        phase = .quotedEnd
                    } else if c == UInt8(ascii: "\\") {
                        phase = .quotedEscape
                    } else if table[Int(c)] & HTTPByteClass.quotedText == 0 {
                        return .failed(error(.invalidChunkExtension, at: i))
                    }
                case .quotedEscape:
                    guard table[Int(c)] & HTTPByteClass.fieldValue != 0 else { return .failed(error(.invalidChunkExtension, at: i)) }
                    phase = .quoted
                case .quotedEnd:
                    if let failure = extensionEnd(c, at: i, &phase) { return .failed(failure) }
                case .lineFeed:
                    guard c == .lf else { return .failed(error(.bareCarriageReturn, at: i)) }
                    let size = chunkSize
                    chunkSize = 0
                    chunkLinePhase = .size
                    return .complete(length: i + 1, size: size)
                }
                i &+= 1
            }
            if end < count { return .failed(error(.chunkLineTooLong, at: end)) }
            chunkLinePhase = phase
            searchFrom = i
            return .needMore
        }
    }

    /// After an extension (its name, token or quoted value), only `;` or the line end may
    /// follow; returns the error otherwise.
    @inline(__always)
    private func extensionEnd(_ c: UInt8, at i: Int, _ phase: inout ChunkLinePhase) -> HTTPParserError? {
        switch c {
        case UInt8(ascii: ";"): phase = .extensionStart
        case .cr: phase = .lineFeed
        case .lf: return error(.bareLineFeed, at: i)
        default: return error(.invalidChunkExtension, at: i)
        }
        return nil
    }
}
