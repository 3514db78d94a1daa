import HTTPCodec

/// Why the response parser rejected its input, and where. After an error the framing of the
/// rest of the connection is unknown: the client closes it.
public struct HTTPResponseParserError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: String, Sendable, Hashable {
        /// A line ended with LF not preceded by CR, or a chunk-size line had a CR not followed
        /// by LF.
        case bareLineFeed
        /// The status line is not `HTTP-version SP 3DIGIT [SP reason-phrase]`, or the reason
        /// phrase holds a control character.
        case invalidStatusLine
        /// The version is not `HTTP/DIGIT.DIGIT`.
        case invalidVersion
        /// A well-formed version other than HTTP/1.0 and HTTP/1.1.
        case unsupportedVersion
        /// A status code below 100.
        case invalidStatusCode
        /// 101 Switching Protocols: this client never asks for an upgrade.
        case unexpectedSwitchingProtocols
        /// A header name is empty or has a byte that is not a token character.
        case invalidHeaderName
        /// Whitespace between a header name and its colon.
        case whitespaceBeforeColon
        /// A header value holds a control character (NUL, CR, ...) or DEL.
        case invalidHeaderValue
        /// A header line starts with whitespace (obsolete line folding).
        case obsoleteLineFolding
        /// The head (or trailer section) is longer than `HTTPResponseLimits.maxHeaderBytes`.
        case headersTooLarge
        /// More fields than `HTTPResponseLimits.maxHeaderCount`.
        case tooManyHeaders
        /// Content-Length is not one run of decimal digits, or overflows.
        case invalidContentLength
        /// More than one Content-Length field, even with equal values.
        case duplicateContentLength
        /// Both Transfer-Encoding and Content-Length: the framing is ambiguous.
        case contentLengthWithTransferEncoding
        /// Transfer-Encoding in an HTTP/1.0 response.
        case transferEncodingInHTTP10
        /// A transfer coding other than a single `chunked`, which this client does not decode.
        case unsupportedTransferCoding
        /// The body is longer than `HTTPResponseLimits.maxBodySize`.
        case bodyTooLarge
        /// A chunk size is missing, not hexadecimal, or overflows.
        case invalidChunkSize
        /// A chunk extension is not `; token [= token / quoted-string]`.
        case invalidChunkExtension
        /// A chunk-size line is longer than `HTTPResponseLimits.maxChunkLineLength`.
        case chunkLineTooLong
        /// Chunk data not followed by CRLF.
        case missingChunkTerminator
        /// The connection ended before the response did.
        case unexpectedEndOfStream
    }

    public let reason: Reason
    /// Offset in the stream of bytes fed to the parser where the problem was found.
    public let offset: Int

    public init(_ reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "malformed HTTP response: \(reason.rawValue) at offset \(offset)" }

    /// The error of a chunked body, under the reason of the same name; a CR without LF, which
    /// has no reason of its own, is a line not ended by CRLF.
    init(_ error: ChunkedBodyError) {
        self.init(Reason(rawValue: error.code.rawValue) ?? .bareLineFeed, offset: error.offset)
    }
}

/// Bounds on what one response may make the parser buffer or accept.
public struct HTTPResponseLimits: Sendable, Hashable {
    /// Longest head (status line, fields and the empty line), and longest trailer section.
    public var maxHeaderBytes: Int
    /// Most fields in the head, and in the trailer section.
    public var maxHeaderCount: Int
    /// Largest body, declared or de-chunked.
    public var maxBodySize: Int
    /// Longest chunk-size line with its extensions.
    public var maxChunkLineLength: Int

    /// 16 KiB of head in at most 100 fields, 1 MiB bodies (a client of small JSON answers),
    /// 1 KiB chunk-size lines.
    public init(maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, maxBodySize: Int = 1024 * 1024, maxChunkLineLength: Int = 1024) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodySize = maxBodySize
        self.maxChunkLineLength = maxChunkLineLength
    }
}
