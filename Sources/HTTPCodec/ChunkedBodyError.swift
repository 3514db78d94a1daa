/// Why `ChunkedBodyDecoder` rejected its input, and where. The request and response parsers
/// report it as their own error type; after it, the framing of the rest of the stream is unknown.
package struct ChunkedBodyError: Error, Sendable, Hashable {
    /// Named as the request parser's codes and the response parser's reasons are.
    package enum Code: String, Sendable, Hashable, CaseIterable {
        /// A chunk size is missing, not hexadecimal, or overflows.
        case invalidChunkSize
        /// A chunk extension is not `; token [= token / quoted-string]`.
        case invalidChunkExtension
        /// A chunk-size line is longer than the decoder's `maxChunkLineLength`.
        case chunkLineTooLong
        /// Chunk data was not followed by CRLF.
        case missingChunkTerminator
        /// The chunk sizes announce more than the decoder's `maxBodySize`.
        case bodyTooLarge
        /// A chunk-size line ended with LF not preceded by CR.
        case bareLineFeed
        /// A CR in a chunk-size line was not followed by LF.
        case bareCarriageReturn
    }

    package let code: Code
    /// Offset in the byte stream (as `ChunkedBodyDecoder.start(at:)` counts it) of the byte
    /// where the problem was found.
    package let offset: Int
}
