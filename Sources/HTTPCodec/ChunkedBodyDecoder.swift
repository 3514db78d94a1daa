import Bytes

/// A chunked body (RFC 9112 §7.1) decoded incrementally, without I/O: chunk-size lines, chunk
/// data, the CRLF after each chunk's data, and the last chunk. The request parser and the
/// response parser both decode their chunked bodies with it.
///
/// Call `start(at:)` where a chunked body begins, then `next(_:)` with the buffer of received
/// bytes, whose reader index it moves past what it has read, until it returns `.lastChunk`; nil
/// means it needs more bytes. After the last chunk comes the trailer section, which the caller
/// reads as it reads a header section (field lines up to an empty line).
///
/// Every byte of a chunk-size line is judged as it arrives, so any fragmentation of the input
/// gives the same parts and the same errors, and an error names the first byte after which the
/// stream can no longer be a valid body. The line is `chunk-size *( ";" name [ "=" ( token /
/// quoted-string ) ] ) CRLF`; extensions carry nothing either side uses, so they are checked
/// and skipped. RFC 9112 §7.1.1 allows whitespace (BWS) around ";" and "=", but llhttp's strict
/// mode rejects it, as does this decoder: peers that disagree on how a chunk line is read are a
/// request smuggling vector. A line longer than `maxChunkLineLength` (CRLF included) fails at its
/// first byte beyond it.
package struct ChunkedBodyDecoder: Sendable {
    /// What `next(_:)` hands out.
    package enum Part: Sendable {
        /// Chunk data as it arrived: one chunk may come in several parts.
        case data(ByteBuffer)
        /// The last chunk's line was read; the trailer section follows.
        case lastChunk
    }

    /// Where a chunk size that takes the body past `maxBodySize` fails.
    package enum SizeLimitCheck: Sendable {
        /// At the digit that does, as soon as it arrives (a server refuses a request early).
        case atDigit
        /// At the start of the chunk-size line, once the line has been read; a size too large
        /// for an `Int` fails first, as `invalidChunkSize`.
        case atLineEnd
    }

    /// Longest chunk-size line with its extensions, CRLF included.
    package let maxChunkLineLength: Int
    /// Most data bytes the chunk-size lines of one body may announce together.
    package let maxBodySize: Int
    package let sizeLimitCheck: SizeLimitCheck
    /// Stream offset of the buffer's reader index: errors carry stream offsets, and the caller
    /// learns from it how far the decoder has read.
    package private(set) var offset = 0
    /// Data bytes announced by the chunk-size lines read so far.
    package private(set) var bodySize = 0

    private var state = State.sizeLine
    /// Where the scan of a chunk-size line stands, and the size read so far.
    private var phase = ChunkLinePhase.size
    private var size = 0
    /// The next byte of the chunk-size line to judge, relative to the reader index.
    private var searchFrom = 0

    private enum State: Sendable {
        case sizeLine
        case data(remaining: Int)
        /// After a chunk's data, where its CRLF must follow.
        case dataEnd
        /// After the last chunk: nothing more of the body is read.
        case done
    }

    package init(maxChunkLineLength: Int, maxBodySize: Int, sizeLimitCheck: SizeLimitCheck = .atDigit) {
        self.maxChunkLineLength = maxChunkLineLength
        self.maxBodySize = maxBodySize
        self.sizeLimitCheck = sizeLimitCheck
    }

    /// Begins a chunked body whose first byte is at stream offset `offset`.
    package mutating func start(at offset: Int) {
        self.offset = offset
        bodySize = 0
        state = .sizeLine
        phase = .size
        size = 0
        searchFrom = 0
    }

    /// The next part of the body from `buffer`, whose reader index it moves past what it read;
    /// nil when more bytes are needed (or after `.lastChunk`).
    package mutating func next(_ buffer: inout ByteBuffer) throws(ChunkedBodyError) -> Part? {
        while true {
            switch state {
            case .sizeLine:
                switch scanSizeLine(buffer) {
                case .needMore:
                    return nil
                case .complete(let length, let size):
                    consume(length, of: &buffer)
                    bodySize &+= size
                    if size == 0 {
                        state = .done
                        return .lastChunk
                    }
                    state = .data(remaining: size)
                case .failed(let error):
                    throw error
                }
            case .data(let remaining):
                let count = min(remaining, buffer.readableBytes)
                guard count > 0 else { return nil }
                let slice = buffer.readSlice(length: count)!
                offset &+= count
                state = count == remaining ? .dataEnd : .data(remaining: remaining &- count)
                return .data(slice)
            case .dataEnd:
                let available = buffer.readableBytes
                guard available > 0 else { return nil }
                guard buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == .cr else {
                    throw error(.missingChunkTerminator, at: 0)
                }
                guard available > 1 else { return nil }
                guard buffer.getInteger(at: buffer.readerIndex &+ 1, as: UInt8.self) == .lf else {
                    throw error(.missingChunkTerminator, at: 1)
                }
                consume(2, of: &buffer)
                state = .sizeLine
            case .done:
                return nil
            }
        }
    }

    private mutating func consume(_ count: Int, of buffer: inout ByteBuffer) {
        buffer.moveReaderIndex(forwardBy: count)
        offset &+= count
        searchFrom = 0
    }

    /// The error `code` at position `index` of the readable bytes.
    @inline(__always)
    private func error(_ code: ChunkedBodyError.Code, at index: Int) -> ChunkedBodyError {
        ChunkedBodyError(code: code, offset: offset &+ index)
    }
}

/// Where the byte-by-byte scan of a chunk-size line stands between feeds.
private enum ChunkLinePhase: UInt8, Sendable {
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
private enum ChunkLineScan {
    case needMore
    /// The line is `length` bytes long (CRLF included) and announces `size` bytes of data.
    case complete(length: Int, size: Int)
    case failed(ChunkedBodyError)
}

extension ChunkedBodyDecoder {
    /// Judges the bytes of the chunk-size line at the reader index from `searchFrom` on.
    ///
    /// Right after the digits only ";" or the line end may follow: anything else, a space
    /// included, is a bad size, as llhttp reports it.
    private mutating func scanSizeLine(_ buffer: ByteBuffer) -> ChunkLineScan {
        buffer.withUnsafeReadableBytes { raw -> ChunkLineScan in
            let count = raw.count
            guard searchFrom < count else { return .needMore }
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let table = HTTPByteClass.table
            let end = min(count, maxChunkLineLength)
            var phase = phase
            var i = searchFrom
            while i < end {
                let c = p[i]
                let isToken = table[Int(c)] & HTTPByteClass.token != 0
                switch phase {
                case .size:
                    if table[Int(c)] & HTTPByteClass.hex != 0 {
                        let digit = c <= UInt8(ascii: "9") ? c &- 0x30 : (c | 0x20) &- UInt8(ascii: "a") &+ 10
                        guard size <= (Int.max >> 4) else { return .failed(error(.invalidChunkSize, at: i)) }
                        size = size << 4 | Int(digit)
                        if sizeLimitCheck == .atDigit && size > maxBodySize &- bodySize {
                            return .failed(error(.bodyTooLarge, at: i))
                        }
                    } else if c == .lf {
                        return .failed(error(.bareLineFeed, at: i))
                    } else if i == 0 || (c != UInt8(ascii: ";") && c != .cr) {
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
                    } else if !isToken, let failure = extensionEnd(c, at: i, &phase) {
                        return .failed(failure)
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
                    let announced = size
                    if sizeLimitCheck == .atLineEnd && announced > maxBodySize &- bodySize {
                        return .failed(error(.bodyTooLarge, at: 0))
                    }
                    size = 0
                    self.phase = .size
                    return .complete(length: i &+ 1, size: announced)
                }
                i &+= 1
            }
            if end < count { return .failed(error(.chunkLineTooLong, at: end)) }
            self.phase = phase
            searchFrom = i
            return .needMore
        }
    }

    /// After an extension (its name, token or quoted value), only `;` or the line end may
    /// follow; returns the error otherwise.
    @inline(__always)
    private func extensionEnd(_ c: UInt8, at i: Int, _ phase: inout ChunkLinePhase) -> ChunkedBodyError? {
        switch c {
        case UInt8(ascii: ";"): phase = .extensionStart
        case .cr: phase = .lineFeed
        case .lf: return error(.bareLineFeed, at: i)
        default: return error(.invalidChunkExtension, at: i)
        }
        return nil
    }
}
