import Bytes
import HTTPCodec

/// A strict, incremental HTTP/1.1 response parser that performs no I/O.
///
/// Hand it bytes as they arrive with `feed(_:)`, call `finish()` when the connection has ended,
/// and call `next()` until it returns nil (it needs more bytes). Each response comes out as
/// `.head`, zero or more `.body` parts and `.end`. Any fragmentation of the input gives the
/// same responses and the same errors; a line is scanned once, not again on every feed.
///
/// Strictness follows RFC 9112 as the project's request parser reads it: lines end in CRLF,
/// the status line is `HTTP/1.x SP 3DIGIT [SP reason]`, field names are tokens with no
/// whitespace before the colon, values hold no control characters, obs-fold is rejected,
/// Content-Length is digits only and appears once, and Transfer-Encoding, which excludes
/// Content-Length, must be exactly `chunked`. A chunked body is decoded as the request parser
/// decodes one (`ChunkedBodyDecoder`: chunk lines judged byte by byte, no whitespace in them), but
/// a chunk size past `maxBodySize` fails at its line's start once the line is read. Framing follows
/// RFC 9112 §6.3: no body for a response to HEAD (set `isResponseToHEAD` before its head is
/// parsed) or with status 1xx, 204 or 304; then chunked, then Content-Length, else the body
/// runs until the connection closes. Interim (1xx) responses are checked and skipped; 101 is an
/// error, since this client never asks to switch protocols.
public struct HTTPResponseParser: Sendable {
    public let limits: HTTPResponseLimits
    /// Whether the response being parsed answers a HEAD request, so has no body whatever its
    /// header fields say. Set it before the response's head is parsed.
    public var isResponseToHEAD = false

    private var buffer = ByteBuffer()
    /// Stream offset of `buffer`'s reader index, for error offsets.
    private var consumed = 0
    /// Where the search for the next LF resumes, relative to the reader index.
    private var searchFrom = 0
    /// Bytes of the current head or trailer section already consumed.
    private var sectionBytes = 0
    /// Close-delimited body bytes so far.
    private var bodyBytes = 0
    /// Decodes a chunked body, up to its trailer section.
    private var chunked: ChunkedBodyDecoder
    private var head = HeadProgress()
    private var state = State.statusLine
    private var ended = false

    private enum State: Sendable {
        case statusLine
        case headers
        case body(remaining: Int)
        case untilClose
        case chunked
        case trailers
        case end(HTTPFields)
        case failed(HTTPResponseParserError)
    }

    /// What is known so far about the head being parsed.
    private struct HeadProgress: Sendable {
        var minorVersion = 1
        var status = 0
        var reason = ""
        var fields = HTTPFields()
        var contentLength: Int?
        var contentLengthOffset = 0
        var transferEncodingOffset: Int?
        var codingCount = 0
        var onlyChunked = true
        var connectionClose = false
        var connectionKeepAlive = false
    }

    /// A parser at the start of a connection, enforcing `limits`.
    public init(limits: HTTPResponseLimits = HTTPResponseLimits()) {
        self.limits = limits
        // A size past the body limit fails once its line is read, so one too large for an Int
        // is still an invalid size.
        chunked = ChunkedBodyDecoder(maxChunkLineLength: limits.maxChunkLineLength, maxBodySize: limits.maxBodySize, sizeLimitCheck: .atLineEnd)
    }

    /// Bytes received but not yet handed out.
    public var bufferedBytes: Int { buffer.readableBytes }

    /// Whether the parser is between responses with nothing buffered.
    public var isIdle: Bool {
        if case .statusLine = state { return buffer.readableBytes == 0 && sectionBytes == 0 }
        return false
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = bytes
        } else {
            buffer.discardReadBytes()
            buffer.writeBuffer(bytes)
        }
    }

    /// Notes that the connection has ended: a close-delimited body ends here, and a response
    /// cut short fails with `unexpectedEndOfStream`.
    public mutating func finish() {
        ended = true
    }

    /// The next part of the response stream, or nil when more bytes are needed (or, after
    /// `finish()`, when the stream ended cleanly between responses).
    public mutating func next() throws(HTTPResponseParserError) -> HTTPResponsePart? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPResponseParserError) -> HTTPResponsePart? {
        while true {
            switch state {
            case .statusLine, .headers, .trailers:
                guard let length = findLineEnd() else {
                    if sectionBytes + buffer.readableBytes > limits.maxHeaderBytes {
                        throw HTTPResponseParserError(.headersTooLarge, offset: consumed - sectionBytes + limits.maxHeaderBytes)
                    }
                    return try needMore(cleanIfIdle: true)
                }
                if sectionBytes + length > limits.maxHeaderBytes {
                    throw HTTPResponseParserError(.headersTooLarge, offset: consumed - sectionBytes + limits.maxHeaderBytes)
                }
                let line = try lineContent(length: length)
                if let part = try handleLine(line) { return part }
            case .body(let remaining):
                guard buffer.readableBytes > 0 else { return try needMore() }
                let count = min(remaining, buffer.readableBytes)
                let slice = take(count)
                state = count == remaining ? .end(HTTPFields()) : .body(remaining: remaining - count)
                return .body(slice)
            case .untilClose:
                if buffer.readableBytes > 0 {
                    guard bodyBytes + buffer.readableBytes <= limits.maxBodySize else {
                        throw HTTPResponseParserError(.bodyTooLarge, offset: consumed + limits.maxBodySize - bodyBytes)
                    }
                    bodyBytes += buffer.readableBytes
                    return .body(take(buffer.readableBytes))
                }
                guard ended else { return nil }
                state = .end(HTTPFields())
            case .chunked:
                let part: ChunkedBodyDecoder.Part?
                do { part = try chunked.next(&buffer) } catch { throw HTTPResponseParserError(error) }
                consumed = chunked.offset
                guard let part else { return try needMore() }
                guard case .data(let slice) = part else {
                    // The last chunk: its trailer section follows, read line by line as the head was.
                    head = HeadProgress()
                    sectionBytes = 0
                    state = .trailers
                    continue
                }
                return .body(slice)
            case .end(let trailers):
                state = .statusLine
                sectionBytes = 0
                head = HeadProgress()
                isResponseToHEAD = false
                return .end(trailers)
            case .failed(let error):
                throw error
            }
        }
    }

    /// Nil (wait for bytes), or after `finish()` the end of the stream: clean between responses
    /// when `cleanIfIdle`, otherwise a response cut short.
    private func needMore(cleanIfIdle: Bool = false) throws(HTTPResponseParserError) -> HTTPResponsePart? {
        guard ended else { return nil }
        if cleanIfIdle, isIdle { return nil }
        throw HTTPResponseParserError(.unexpectedEndOfStream, offset: consumed + buffer.readableBytes)
    }

    /// The length (LF included) of the buffered line at the reader index, or nil when its LF
    /// has not arrived; the search resumes where the previous one stopped.
    private mutating func findLineEnd() -> Int? {
        let view = buffer.readableBytesView
        var index = view.startIndex + searchFrom
        while index < view.endIndex {
            if view[index] == .lf { return index - view.startIndex + 1 }
            index += 1
        }
        searchFrom = view.count
        return nil
    }

    /// The bytes of the `length`-byte line at the reader index, without its CRLF.
    private func lineContent(length: Int) throws(HTTPResponseParserError) -> [UInt8] {
        let bytes = buffer.getBytes(at: buffer.readerIndex, length: length)!
        guard length >= 2, bytes[length - 2] == .cr else {
            throw HTTPResponseParserError(.bareLineFeed, offset: consumed + length - 1)
        }
        return Array(bytes[..<(length - 2)])
    }

    private mutating func consume(_ count: Int) {
        buffer.moveReaderIndex(forwardBy: count)
        consumed += count
        searchFrom = 0
    }

    private mutating func take(_ count: Int) -> ByteBuffer {
        let slice = buffer.readSlice(length: count)!
        consumed += count
        searchFrom = 0
        return slice
    }

    /// Parses one complete line of a head or trailer section; returns a part when the line ends
    /// the section.
    private mutating func handleLine(_ line: [UInt8]) throws(HTTPResponseParserError) -> HTTPResponsePart? {
        let length = line.count + 2
        switch state {
        case .statusLine:
            try parseStatusLine(line)
            state = .headers
        case .headers where line.isEmpty:
            consume(length)
            return try finishHead()
        case .trailers where line.isEmpty:
            consume(length)
            state = .end(head.fields)
            return nil
        default:
            try parseField(line)
        }
        consume(length)
        sectionBytes += length
        return nil
    }

    /// `HTTP-version SP status-code [SP reason-phrase]`; a missing reason is accepted with or
    /// without its space, as common servers send both.
    private mutating func parseStatusLine(_ line: [UInt8]) throws(HTTPResponseParserError) {
        let prefix = Array("HTTP/".utf8)
        guard line.count >= 8, Array(line[0..<5]) == prefix, line[5].isDigit, line[6] == UInt8(ascii: "."), line[7].isDigit else {
            throw HTTPResponseParserError(.invalidVersion, offset: consumed)
        }
        guard line[5] == UInt8(ascii: "1"), line[7] == UInt8(ascii: "0") || line[7] == UInt8(ascii: "1") else {
            throw HTTPResponseParserError(.unsupportedVersion, offset: consumed)
        }
        guard line.count >= 12, line[8] == .space, line[9].isDigit, line[10].isDigit, line[11].isDigit else {
            throw HTTPResponseParserError(.invalidStatusLine, offset: consumed + min(line.count, 8))
        }
        let status = Int(line[9] - 0x30) * 100 + Int(line[10] - 0x30) * 10 + Int(line[11] - 0x30)
        guard status >= 100 else { throw HTTPResponseParserError(.invalidStatusCode, offset: consumed + 9) }
        var reason = ""
        if line.count > 12 {
            guard line[12] == .space else { throw HTTPResponseParserError(.invalidStatusLine, offset: consumed + 12) }
            let text = line[13...]
            if let bad = text.firstIndex(where: { !$0.isFieldValueByte }) {
                throw HTTPResponseParserError(.invalidStatusLine, offset: consumed + bad)
            }
            reason = String(decoding: text, as: UTF8.self)
        }
        head.minorVersion = Int(line[7] - 0x30)
        head.status = status
        head.reason = reason
    }

    /// `field-name ":" OWS field-value OWS`.
    private mutating func parseField(_ line: [UInt8]) throws(HTTPResponseParserError) {
        if line[0] == .space || line[0] == .tab { throw HTTPResponseParserError(.obsoleteLineFolding, offset: consumed) }
        var index = 0
        while index < line.count && line[index].isTokenByte { index += 1 }
        guard index > 0, index < line.count, line[index] == .colon else {
            var after = index
            while index > 0 && after < line.count && (line[after] == .space || line[after] == .tab) { after += 1 }
            let reason: HTTPResponseParserError.Reason = after > index && after < line.count && line[after] == .colon
                ? .whitespaceBeforeColon : .invalidHeaderName
            throw HTTPResponseParserError(reason, offset: consumed + index)
        }
        let nameEnd = index
        index += 1
        while index < line.count && (line[index] == .space || line[index] == .tab) { index += 1 }
        let valueStart = index
        if let bad = line[valueStart...].firstIndex(where: { !$0.isFieldValueByte }) {
            throw HTTPResponseParserError(.invalidHeaderValue, offset: consumed + bad)
        }
        var valueEnd = line.count
        while valueEnd > valueStart && (line[valueEnd - 1] == .space || line[valueEnd - 1] == .tab) { valueEnd -= 1 }
        guard head.fields.count < limits.maxHeaderCount else {
            throw HTTPResponseParserError(.tooManyHeaders, offset: consumed)
        }
        let name = String(decoding: line[..<nameEnd], as: UTF8.self)
        let value = String(decoding: line[valueStart..<valueEnd], as: UTF8.self)
        head.fields.append(name: name, value: value)
        if case .headers = state { try interpretField(name: name, value: line[valueStart..<valueEnd], valueOffset: consumed + valueStart) }
    }

    /// Applies the fields that frame the message or decide keep-alive.
    private mutating func interpretField(name: String, value: ArraySlice<UInt8>, valueOffset: Int) throws(HTTPResponseParserError) {
        if HTTPFields.sameName(name, "content-length") {
            guard head.contentLength == nil else { throw HTTPResponseParserError(.duplicateContentLength, offset: consumed) }
            guard !value.isEmpty else { throw HTTPResponseParserError(.invalidContentLength, offset: valueOffset) }
            var length = 0
            for (position, byte) in zip(value.indices, value) {
                let (times10, overflow1) = length.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(byte &- 0x30))
                guard byte.isDigit, !overflow1, !overflow2 else {
                    throw HTTPResponseParserError(.invalidContentLength, offset: valueOffset + position - value.startIndex)
                }
                length = sum
            }
            head.contentLength = length
            head.contentLengthOffset = consumed
        } else if HTTPFields.sameName(name, "transfer-encoding") {
            head.transferEncodingOffset = head.transferEncodingOffset ?? consumed
            for coding in Self.listElements(value) {
                head.codingCount += 1
                if !HTTPFields.sameName(coding, "chunked") { head.onlyChunked = false }
            }
        } else if HTTPFields.sameName(name, "connection") {
            for option in Self.listElements(value) {
                if HTTPFields.sameName(option, "close") { head.connectionClose = true }
                if HTTPFields.sameName(option, "keep-alive") { head.connectionKeepAlive = true }
            }
        }
    }

    /// The non-empty elements of a comma-separated list, whitespace trimmed.
    private static func listElements(_ value: ArraySlice<UInt8>) -> [String] {
        value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true).compactMap { element in
            let trimmed = element.drop { $0 == .space || $0 == .tab }.reversed().drop { $0 == .space || $0 == .tab }.reversed()
            return trimmed.isEmpty ? nil : String(decoding: trimmed, as: UTF8.self)
        }
    }

    /// Decides the body's framing once the head is complete; nil for an interim response.
    private mutating func finishHead() throws(HTTPResponseParserError) -> HTTPResponsePart? {
        let status = head.status
        if status == 101 { throw HTTPResponseParserError(.unexpectedSwitchingProtocols, offset: consumed) }
        if let offset = head.transferEncodingOffset {
            if head.minorVersion == 0 { throw HTTPResponseParserError(.transferEncodingInHTTP10, offset: offset) }
            if head.contentLength != nil {
                throw HTTPResponseParserError(.contentLengthWithTransferEncoding, offset: max(offset, head.contentLengthOffset))
            }
            guard head.codingCount == 1, head.onlyChunked else { throw HTTPResponseParserError(.unsupportedTransferCoding, offset: offset) }
        }
        sectionBytes = 0
        if status < 200 {
            head = HeadProgress()
            state = .statusLine
            return nil
        }
        let noBody = isResponseToHEAD || status == 204 || status == 304
        var keepAlive = head.minorVersion == 1 ? !head.connectionClose : head.connectionKeepAlive && !head.connectionClose
        bodyBytes = 0
        if noBody {
            state = .end(HTTPFields())
        } else if head.transferEncodingOffset != nil {
            chunked.start(at: consumed)
            state = .chunked
        } else if let length = head.contentLength {
            guard length <= limits.maxBodySize else { throw HTTPResponseParserError(.bodyTooLarge, offset: head.contentLengthOffset) }
            state = length == 0 ? .end(HTTPFields()) : .body(remaining: length)
        } else {
            keepAlive = false
            state = .untilClose
        }
        return .head(HTTPResponseHead(minorVersion: head.minorVersion, status: status, reason: head.reason, headers: head.fields, keepAlive: keepAlive))
    }
}
