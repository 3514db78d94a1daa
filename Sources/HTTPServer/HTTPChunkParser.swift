import Bytes
import Glibc

/// Outcome of scanning for a complete chunk-size line.
enum ChunkLineScan {
    case needMore
    /// The line is `length` bytes long (CRLF included) and announces `size` bytes of data.
    case complete(length: Int, size: Int)
    case failed(HTTPParserError)
}

extension HTTPRequestParser {
    /// Parses `chunk-size [ chunk-ext ] CRLF` at the reader index once its LF is buffered,
    /// resuming the LF search where the previous call stopped.
    mutating func scanChunkLine() -> ChunkLineScan {
        let view = buffer
        return view.withUnsafeReadableBytes { raw -> ChunkLineScan in
            let count = raw.count
            guard count > 0 else { return .needMore }
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            guard searchFrom < count, let hit = memchr(p + searchFrom, Int32(UInt8.lf), count - searchFrom) else {
                searchFrom = count
                if count > limits.maxChunkLineLength {
                    return .failed(HTTPParserError(.chunkLineTooLong, offset: consumed + limits.maxChunkLineLength))
                }
                return .needMore
            }
            let lf = UnsafeRawPointer(hit) - UnsafeRawPointer(p)
            if lf + 1 > limits.maxChunkLineLength {
                return .failed(HTTPParserError(.chunkLineTooLong, offset: consumed + limits.maxChunkLineLength))
            }
            guard lf > 0, p[lf - 1] == .cr else { return .failed(HTTPParserError(.bareLineFeed, offset: consumed + lf)) }
            return parseChunkLine(p, end: lf - 1)
        }
    }

    private mutating func parseChunkLine(_ p: UnsafePointer<UInt8>, end: Int) -> ChunkLineScan {
        let table = HTTPByteClass.table
        var size = 0
        var i = 0
        while i < end && table[Int(p[i])] & HTTPByteClass.hex != 0 {
            let c = p[i]
            let digit = c <= UInt8(ascii: "9") ? c &- 0x30 : (c | 0x20) &- UInt8(ascii: "a") &+ 10
            guard size <= (Int.max >> 4) else { return .failed(HTTPParserError(.invalidChunkSize, offset: consumed + i)) }
            size = size << 4 | Int(digit)
            i += 1
        }
        guard i > 0 else { return .failed(HTTPParserError(.invalidChunkSize, offset: consumed)) }
        if let offset = Self.invalidExtensionOffset(p, from: i, end: end) {
            // Right after the digits only ";" or the line end may follow: anything else, a space
            // included, is a bad size, as llhttp reports it.
            let code: HTTPParserError.Code = offset == i && p[i] != UInt8(ascii: ";") ? .invalidChunkSize : .invalidChunkExtension
            return .failed(HTTPParserError(code, offset: consumed + offset))
        }
        guard size <= limits.maxBodySize - chunkedBodySize else {
            return .failed(HTTPParserError(.bodyTooLarge, offset: consumed))
        }
        return .complete(length: end + 2, size: size)
    }

    /// Validates `*( ";" name [ "=" ( token / quoted-string ) ] )` in `p[from..<end]`;
    /// extensions carry nothing we use, so they are checked and skipped. Returns the offset of
    /// the first bad byte, or nil.
    ///
    /// RFC 9112 §7.1.1 allows whitespace (BWS) around ";" and "=", but llhttp's strict mode
    /// rejects it, as does this parser: peers that disagree on how a chunk line is read are a
    /// request smuggling vector.
    private static func invalidExtensionOffset(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> Int? {
        let table = HTTPByteClass.table
        var i = from
        func skipToken() -> Bool {
            let start = i
            while i < end && table[Int(p[i])] & HTTPByteClass.token != 0 { i += 1 }
            return i > start
        }
        while i < end {
            guard p[i] == UInt8(ascii: ";") else { return i }
            i += 1
            guard skipToken() else { return i }
            guard i < end, p[i] == UInt8(ascii: "=") else { continue }
            i += 1
            guard i < end else { return i }
            if p[i] == UInt8(ascii: "\"") {
                i += 1
                while i < end && p[i] != UInt8(ascii: "\"") {
                    if p[i] == UInt8(ascii: "\\") {
                        i += 1
                        guard i < end, table[Int(p[i])] & HTTPByteClass.fieldValue != 0 else { return i }
                    } else if table[Int(p[i])] & HTTPByteClass.quotedText == 0 {
                        return i
                    }
                    i += 1
                }
                guard i < end else { return i }
                i += 1
            } else if !skipToken() {
                return i
            }
        }
        return nil
    }
}
