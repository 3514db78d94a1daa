import Bytes
import HTTPCodec

/// A strict, incremental HTTP/1.1 request parser that performs no I/O.
///
/// Hand it bytes as they arrive with `feed(_:)`, then call `next()` until it returns nil (it needs
/// more bytes). Each request comes out as `.head`, zero or more `.body` parts and `.end`;
/// pipelined requests follow one another. Any fragmentation of the input yields the same parts
/// (body parts may be split differently) and the same errors, and every byte is judged once, as
/// it arrives: the parser fails at the first byte after which the stream can no longer be a
/// valid request (as llhttp and httparse do), and the error's offset is that byte's. Rules that
/// need a whole header section (a missing Host, a final coding other than `chunked`) fail at
/// the section's last LF; a limit fails at its first byte beyond it.
///
/// Strictness follows RFC 9112 and llhttp's strict mode: lines end in CRLF, header names are
/// tokens with no whitespace before the colon, values hold no control characters, obs-fold is
/// rejected, Content-Length must be digits only and appear once (`+5`, `5,6`, `5 6` and `0x5` are
/// rejected; duplicates are rejected even when equal, because intermediaries disagree on which
/// copy wins). Leading zeros are digits like any other (`005` is 5, as in llhttp), and
/// whitespace around a value is optional whitespace, not part of it (RFC 9110 §5.5), so
/// `Content-Length:  5` is 5. Transfer-Encoding must end in `chunked` and excludes
/// Content-Length, HTTP/1.1 requires exactly one Host. Transfer codings other than `chunked` are
/// answered 501 when `chunked` is final (the framing is still known) and 400 otherwise (RFC 9112
/// §6.3: the length cannot be determined), `Transfer-Encoding: gzip` alone included. Chunk lines
/// allow no whitespace after the size or around `;` and `=` of extensions, as in llhttp's strict
/// mode. A failure throws `HTTPParserError` with the status to answer; the parser then keeps
/// failing, since the framing of the rest of the stream is unknown.
public struct HTTPRequestParser: Sendable {
    /// The limits this parser enforces.
    public let limits: HTTPParserLimits
    /// `HTTPByteClass.table`, read once: from this module each read of the lazy global is a call,
    /// and the scanners would read it on every feed. The table is immutable, so sharing it is safe.
    nonisolated(unsafe) let byteClasses = HTTPByteClass.table

    /// Received bytes not yet handed out; the reader index is the start of the current element.
    var buffer = ByteBuffer()
    /// Whether `buffer` was allocated here (rather than adopted from `feed`), so compacting and
    /// appending in place is worthwhile.
    var ownsBuffer = false
    /// Stream offset of `buffer`'s reader index, for error offsets.
    var consumed = 0
    var state: State = .requestLine
    /// The next byte to judge, relative to the reader index.
    var searchFrom = 0
    /// Start of the field line being parsed, relative to the reader index.
    var lineStart = 0
    /// Where the scan of the head (or trailer section) stands.
    var headPhase = HeadPhase.requestLineStart
    /// What is known so far about the head (or trailer section) being parsed.
    var head = HeadProgress()
    /// Decodes a chunked body, up to its trailer section.
    var chunked: ChunkedBodyDecoder
    /// Fields of the section being parsed; reused from request to request.
    var fields: [FieldStorage.Field] = []
    /// `versionOfHeadInProgress` when the parser failed.
    var versionAtFailure: HTTPVersion?

    enum State: Sendable {
        case requestLine
        case headers
        case body(remaining: Int)
        case end
        case chunked
        case trailers
        case failed(HTTPParserError)
    }

    /// A parser at the start of a stream, enforcing `limits`.
    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        precondition(limits.maxHeaderBytes <= UInt32.max, "HTTPParserLimits.maxHeaderBytes must fit in 32 bits")
        self.limits = limits
        chunked = ChunkedBodyDecoder(maxChunkLineLength: limits.maxChunkLineLength, maxBodySize: limits.maxBodySize)
    }

    /// Bytes received but not yet returned in a part.
    public var bufferedBytes: Int { buffer.readableBytes }

    /// Whether the parser sits between requests with nothing buffered: a connection closed now
    /// loses no request.
    public var isIdle: Bool {
        if case .requestLine = state { return buffer.readableBytes == 0 }
        return false
    }

    /// The version of the request whose header section is being parsed (or failed to parse),
    /// once its request line is read; nil elsewhere.
    var versionOfHeadInProgress: HTTPVersion? {
        switch state {
        case .headers: head.version
        case .failed: versionAtFailure
        default: nil
        }
    }

    /// Appends received bytes. When nothing is buffered the bytes are adopted without copying.
    public mutating func feed(_ bytes: ByteBuffer) {
        guard buffer.readableBytes > 0 else {
            buffer = bytes
            ownsBuffer = false
            return
        }
        makeRoom(for: bytes.readableBytes)
        buffer.writeBuffer(bytes)
    }

    /// Takes the bytes received beyond the last part returned: after a request's `.end`, what
    /// the client sent after it, for a protocol the connection switches to (WebSocket frames).
    mutating func takeBufferedBytes() -> ByteBuffer {
        defer {
            buffer = ByteBuffer()
            ownsBuffer = false
        }
        return buffer
    }

    /// Appends received bytes (copied).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        makeRoom(for: bytes.count)
        buffer.writeBytes(bytes)
    }

    /// Moves the unconsumed bytes into storage of our own with room for `count` more. An adopted
    /// buffer may be a slice of a much larger one, whose growth would copy far more than needed.
    private mutating func makeRoom(for count: Int) {
        if ownsBuffer {
            buffer.discardReadBytes()
        } else {
            var own = ByteBuffer(capacity: max(2 * (buffer.readableBytes + count), 4096))
            own.writeBuffer(buffer)
            buffer = own
            ownsBuffer = true
        }
    }

    /// The next part of the request stream, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParserError) -> HTTPRequestPart? {
        do {
            return try step()
        } catch {
            versionAtFailure = versionOfHeadInProgress
            state = .failed(error)
            throw error
        }
    }

    @inline(__always)
    private mutating func step() throws(HTTPParserError) -> HTTPRequestPart? {
        while true {
            switch state {
            case .requestLine, .headers, .trailers:
                switch scanSection() {
                case .needMore:
                    return nil
                case .skip(let count):
                    consume(count)
                    headPhase = .requestLineStart
                case .complete(let length):
                    if case .trailers = state { return finishTrailers(length) }
                    return .head(try finishHead(length))
                case .failed(let error):
                    throw error
                }
            case .body(let remaining):
                let count = min(remaining, buffer.readableBytes)
                guard count > 0 else { return nil }
                let slice = buffer.readSlice(length: count)!
                consumed &+= count
                state = count == remaining ? .end : .body(remaining: remaining - count)
                return .body(slice)
            case .end:
                state = .requestLine
                return .end(nil)
            case .chunked:
                let part: ChunkedBodyDecoder.Part?
                do { part = try chunked.next(&buffer) } catch { throw HTTPParserError(error) }
                consumed = chunked.offset
                switch part {
                case nil: return nil
                case .data(let slice): return .body(slice)
                case .lastChunk:
                    // The trailer section follows, scanned as a header section is.
                    head = HeadProgress()
                    headPhase = .lineStart
                    state = .trailers
                }
            case .failed(let error):
                throw error
            }
        }
    }

    /// Drops `count` handled bytes at a line boundary.
    mutating func consume(_ count: Int) {
        buffer.moveReaderIndex(forwardBy: count)
        consumed &+= count
        lineStart = 0
        searchFrom = 0
    }

    /// Builds the head from the `length` bytes of a complete header section and consumes them.
    private mutating func finishHead(_ length: Int) throws(HTTPParserError) -> HTTPRequestHead {
        let framing = try head.framing(endOffset: consumed + length - 1)
        let keepAlive = head.version == .http1_1
            ? !head.connectionClose
            : head.connectionKeepAlive && !head.connectionClose
        let result = HTTPRequestHead(
            storage: FieldStorage.make(bytes: buffer.getSlice(at: buffer.readerIndex, length: length)!, fields: fields),
            methodLength: UInt32(head.methodLength),
            targetStart: UInt32(head.targetStart),
            targetLength: UInt32(head.targetLength),
            minorVersion: UInt8(head.version.minor),
            keepAlive: keepAlive,
            expectsContinue: head.expectsContinue,
            framing: framing
        )
        consume(length)
        head = HeadProgress()
        headPhase = .requestLineStart
        fields.removeAll(keepingCapacity: true)
        switch framing {
        case .none: state = .end
        case .length(let count): state = .body(remaining: count)
        case .chunked:
            chunked.start(at: consumed)
            state = .chunked
        }
        return result
    }

    /// Ends a chunked request with the `length` bytes of its trailer section.
    private mutating func finishTrailers(_ length: Int) -> HTTPRequestPart {
        let trailers = fields.isEmpty
            ? nil
            : HTTPHeaders(bytes: buffer.getSlice(at: buffer.readerIndex, length: length)!, fields: fields)
        fields.removeAll(keepingCapacity: true)
        consume(length)
        head = HeadProgress()
        headPhase = .requestLineStart
        state = .requestLine
        return .end(trailers)
    }
}
