/// Why the request parser rejected its input, where, and which status to answer with.
///
/// After an error the connection's framing is unknown, so a server answers with `status` and
/// closes the connection.
public struct HTTPParserError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Sendable, Equatable {
        /// A line ended with LF that was not preceded by CR, or a CR was not followed by LF.
        case bareLineFeed
        /// The method is empty or has a byte that is not a token character.
        case invalidMethod
        /// The request target has a forbidden byte, or a form not allowed for the method.
        case invalidTarget
        /// The request line is not `method SP target SP version CRLF`.
        case invalidRequestLine
        /// The version is not `HTTP/DIGIT.DIGIT`.
        case invalidVersion
        /// A well-formed version other than HTTP/1.0 and HTTP/1.1.
        case unsupportedVersion
        /// The request line is longer than `HTTPParserLimits.maxRequestLineLength`.
        case requestLineTooLong
        /// CONNECT (authority-form target) is not implemented.
        case connectNotSupported
        /// A header name is empty or has a byte that is not a token character.
        case invalidHeaderName
        /// Whitespace between a header name and its colon.
        case whitespaceBeforeColon
        /// A header value contains a control character (NUL, CR, LF, ...) or DEL.
        case invalidHeaderValue
        /// A header line starts with whitespace (obsolete line folding).
        case obsoleteLineFolding
        /// The header (or trailer) section is longer than `HTTPParserLimits.maxHeaderBytes`.
        case headersTooLarge
        /// More header (or trailer) fields than `HTTPParserLimits.maxHeaderCount`.
        case tooManyHeaders
        /// A Content-Length value is not one run of decimal digits, or does not fit in an `Int`.
        case invalidContentLength
        /// More than one Content-Length field, even with equal values.
        case duplicateContentLength
        /// Both Transfer-Encoding and Content-Length: the request smuggling ambiguity.
        case contentLengthWithTransferEncoding
        /// Transfer-Encoding whose final coding is not `chunked`, or `chunked` applied twice.
        case chunkedNotFinal
        /// Transfer-Encoding is malformed (empty, or an element that is not a token).
        case invalidTransferEncoding
        /// Transfer-Encoding in an HTTP/1.0 request, whose framing is then ambiguous.
        case transferEncodingInHTTP10
        /// A transfer coding other than `chunked`, which this parser does not decode.
        case unsupportedTransferCoding
        /// An HTTP/1.1 request without a Host field.
        case missingHost
        /// More than one Host field.
        case duplicateHost
        /// An Expect value other than `100-continue`.
        case unsupportedExpectation
        /// The body is longer than `HTTPParserLimits.maxBodySize`.
        case bodyTooLarge
        /// A chunk size is missing, not hexadecimal, or overflows.
        case invalidChunkSize
        /// A chunk extension is not `; token [= token / quoted-string]`.
        case invalidChunkExtension
        /// A chunk-size line is longer than `HTTPParserLimits.maxChunkLineLength`.
        case chunkLineTooLong
        /// Chunk data was not followed by CRLF.
        case missingChunkTerminator
    }

    /// What was wrong.
    public let reason: Reason
    /// Offset in the byte stream fed to the parser (counting from its first byte) where the
    /// problem was found.
    public let offset: Int

    /// An error for `reason` found at stream offset `offset`.
    public init(_ reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// The response status a server should send before closing the connection.
    public var status: Int {
        switch reason {
        case .requestLineTooLong: 414
        case .headersTooLarge, .tooManyHeaders: 431
        case .bodyTooLarge: 413
        case .unsupportedVersion: 505
        case .unsupportedTransferCoding, .connectNotSupported: 501
        case .unsupportedExpectation: 417
        default: 400
        }
    }

    /// The status, the message and the offset, for logs.
    public var description: String { "HTTP \(status): \(message) at offset \(offset)" }

    /// A short human-readable explanation of `reason`.
    public var message: String {
        switch reason {
        case .bareLineFeed: "line not terminated by CRLF"
        case .invalidMethod: "invalid method"
        case .invalidTarget: "invalid request target"
        case .invalidRequestLine: "malformed request line"
        case .invalidVersion: "malformed HTTP version"
        case .unsupportedVersion: "HTTP version not supported"
        case .requestLineTooLong: "request line too long"
        case .connectNotSupported: "CONNECT not supported"
        case .invalidHeaderName: "invalid header name"
        case .whitespaceBeforeColon: "whitespace before colon in header"
        case .invalidHeaderValue: "invalid character in header value"
        case .obsoleteLineFolding: "obsolete line folding"
        case .headersTooLarge: "header section too large"
        case .tooManyHeaders: "too many header fields"
        case .invalidContentLength: "invalid Content-Length"
        case .duplicateContentLength: "duplicate Content-Length"
        case .contentLengthWithTransferEncoding: "both Content-Length and Transfer-Encoding"
        case .chunkedNotFinal: "chunked is not the final transfer coding"
        case .invalidTransferEncoding: "malformed Transfer-Encoding"
        case .transferEncodingInHTTP10: "Transfer-Encoding in an HTTP/1.0 request"
        case .unsupportedTransferCoding: "transfer coding not implemented"
        case .missingHost: "missing Host"
        case .duplicateHost: "more than one Host"
        case .unsupportedExpectation: "unsupported expectation"
        case .bodyTooLarge: "body too large"
        case .invalidChunkSize: "invalid chunk size"
        case .invalidChunkExtension: "invalid chunk extension"
        case .chunkLineTooLong: "chunk size line too long"
        case .missingChunkTerminator: "chunk data not followed by CRLF"
        }
    }
}
