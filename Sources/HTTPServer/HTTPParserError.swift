import HTTPCodec

/// Why the request parser rejected its input, where, and which status to answer with.
///
/// A struct with a `code` rather than an enum, so that a new kind of rejection does not break
/// code that switches over them. After an error the connection's framing is unknown, so a server
/// answers with `status` and closes the connection.
///
/// ```swift
/// do { ... } catch HTTPParserError.Code.headersTooLarge { ... }
/// // or: catch let error as HTTPParserError where error.status == 400
/// ```
public struct HTTPParserError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case bareLineFeed, bareCarriageReturn, invalidMethod, invalidTarget, invalidRequestLine, invalidVersion
            case unsupportedVersion, requestLineTooLong, connectNotSupported, invalidHeaderName, whitespaceBeforeColon
            case invalidHeaderValue, obsoleteLineFolding, headersTooLarge, tooManyHeaders, invalidContentLength
            case duplicateContentLength, contentLengthWithTransferEncoding, chunkedNotFinal, invalidTransferEncoding
            case transferEncodingInHTTP10
            case unsupportedTransferCoding, missingHost, duplicateHost, unsupportedExpectation, bodyTooLarge
            case invalidChunkSize, invalidChunkExtension, chunkLineTooLong, missingChunkTerminator
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A line ended with LF that was not preceded by CR.
        public static let bareLineFeed = Code(.bareLineFeed)
        /// A CR was not followed by LF.
        public static let bareCarriageReturn = Code(.bareCarriageReturn)
        /// The method is empty or has a byte that is not a token character.
        public static let invalidMethod = Code(.invalidMethod)
        /// The request target has a forbidden byte, or a form not allowed for the method.
        public static let invalidTarget = Code(.invalidTarget)
        /// The request line is not `method SP target SP version CRLF`.
        public static let invalidRequestLine = Code(.invalidRequestLine)
        /// The version is not `HTTP/DIGIT.DIGIT`.
        public static let invalidVersion = Code(.invalidVersion)
        /// A well-formed version other than HTTP/1.0 and HTTP/1.1.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The request line is longer than `HTTPParserLimits.maxRequestLineLength`.
        public static let requestLineTooLong = Code(.requestLineTooLong)
        /// CONNECT (authority-form target) is not implemented.
        public static let connectNotSupported = Code(.connectNotSupported)
        /// A header name is empty or has a byte that is not a token character.
        public static let invalidHeaderName = Code(.invalidHeaderName)
        /// Whitespace after a header name, where only its colon may follow (RFC 9112 §5.1).
        public static let whitespaceBeforeColon = Code(.whitespaceBeforeColon)
        /// A header value contains a control character (NUL, CR, LF, ...) or DEL.
        public static let invalidHeaderValue = Code(.invalidHeaderValue)
        /// A header line starts with whitespace (obsolete line folding).
        public static let obsoleteLineFolding = Code(.obsoleteLineFolding)
        /// The header (or trailer) section is longer than `HTTPParserLimits.maxHeaderBytes`.
        public static let headersTooLarge = Code(.headersTooLarge)
        /// More header (or trailer) fields than `HTTPParserLimits.maxHeaderCount`.
        public static let tooManyHeaders = Code(.tooManyHeaders)
        /// A Content-Length value is not one run of decimal digits, or does not fit in an `Int`.
        public static let invalidContentLength = Code(.invalidContentLength)
        /// More than one Content-Length field, even with equal values.
        public static let duplicateContentLength = Code(.duplicateContentLength)
        /// Both Transfer-Encoding and Content-Length: the request smuggling ambiguity.
        public static let contentLengthWithTransferEncoding = Code(.contentLengthWithTransferEncoding)
        /// Transfer-Encoding whose final coding is not `chunked`, or `chunked` applied twice.
        public static let chunkedNotFinal = Code(.chunkedNotFinal)
        /// Transfer-Encoding is malformed (empty, or an element that is not a token).
        public static let invalidTransferEncoding = Code(.invalidTransferEncoding)
        /// Transfer-Encoding in an HTTP/1.0 request, whose framing is then ambiguous.
        public static let transferEncodingInHTTP10 = Code(.transferEncodingInHTTP10)
        /// A transfer coding other than `chunked`, which this parser does not decode.
        public static let unsupportedTransferCoding = Code(.unsupportedTransferCoding)
        /// An HTTP/1.1 request without a Host field.
        public static let missingHost = Code(.missingHost)
        /// More than one Host field.
        public static let duplicateHost = Code(.duplicateHost)
        /// An Expect value other than `100-continue`.
        public static let unsupportedExpectation = Code(.unsupportedExpectation)
        /// The body is longer than `HTTPParserLimits.maxBodySize`.
        public static let bodyTooLarge = Code(.bodyTooLarge)
        /// A chunk size is missing, not hexadecimal, or overflows.
        public static let invalidChunkSize = Code(.invalidChunkSize)
        /// A chunk extension is not `; token [= token / quoted-string]`.
        public static let invalidChunkExtension = Code(.invalidChunkExtension)
        /// A chunk-size line is longer than `HTTPParserLimits.maxChunkLineLength`.
        public static let chunkLineTooLong = Code(.chunkLineTooLong)
        /// Chunk data was not followed by CRLF.
        public static let missingChunkTerminator = Code(.missingChunkTerminator)

        /// The code's name, e.g. `headersTooLarge`.
        public var description: String { base.rawValue }

        /// Lets a `catch` clause match on a code: `catch HTTPParserError.Code.bodyTooLarge`.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? HTTPParserError)?.code == code
        }

        /// The response status for this code.
        var status: HTTPStatus {
            switch base {
            case .requestLineTooLong: .uriTooLong
            case .headersTooLarge, .tooManyHeaders: .requestHeaderFieldsTooLarge
            case .bodyTooLarge: .contentTooLarge
            case .unsupportedVersion: .httpVersionNotSupported
            case .unsupportedTransferCoding, .connectNotSupported: .notImplemented
            case .unsupportedExpectation: .expectationFailed
            default: .badRequest
            }
        }

        /// A short human-readable explanation.
        var message: String {
            switch base {
            case .bareLineFeed: "line not terminated by CRLF"
            case .bareCarriageReturn: "CR not followed by LF"
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

    /// What was wrong.
    public let code: Code
    /// Offset in the byte stream fed to the parser (counting from its first byte) where the
    /// problem was found.
    public let offset: Int

    /// An error with `code` found at stream offset `offset`.
    public init(_ code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    /// The response status a server should send before closing the connection.
    public var status: HTTPStatus { code.status }

    /// A short human-readable explanation of `code`.
    public var message: String { code.message }

    /// The status, the message and the offset, for logs.
    public var description: String { "HTTP \(status.code): \(message) at offset \(offset)" }
}

extension HTTPParserError {
    /// The error of a chunked body, under the request parser's code for it.
    init(_ error: ChunkedBodyError) {
        let code: Code = switch error.code {
        case .invalidChunkSize: .invalidChunkSize
        case .invalidChunkExtension: .invalidChunkExtension
        case .chunkLineTooLong: .chunkLineTooLong
        case .missingChunkTerminator: .missingChunkTerminator
        case .bodyTooLarge: .bodyTooLarge
        case .bareLineFeed: .bareLineFeed
        case .bareCarriageReturn: .bareCarriageReturn
        }
        self.init(code, offset: error.offset)
    }
}
