/// Bounds on what one request may make the parser buffer or accept. Every limit also bounds
/// memory: the parser never holds more than the current line or section plus one feed.
public struct HTTPParserLimits: Sendable {
    /// Longest request line, CRLF included; beyond it the parser fails with 414.
    public var maxRequestLineLength: Int
    /// Longest header section (request line and empty line included), and longest trailer
    /// section; beyond it 431.
    public var maxHeaderBytes: Int
    /// Most header fields, and most trailer fields; beyond it 431.
    public var maxHeaderCount: Int
    /// Largest body, declared or de-chunked; beyond it 413.
    public var maxBodySize: Int
    /// Longest chunk-size line with its extensions; beyond it 400.
    public var maxChunkLineLength: Int

    /// Defaults in line with common servers: 8 KiB request line, 16 KiB of headers in at most 100
    /// fields, 8 MiB bodies, 1 KiB chunk-size lines.
    public init(
        maxRequestLineLength: Int = 8 * 1024,
        maxHeaderBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100,
        maxBodySize: Int = 8 * 1024 * 1024,
        maxChunkLineLength: Int = 1024
    ) {
        self.maxRequestLineLength = maxRequestLineLength
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodySize = maxBodySize
        self.maxChunkLineLength = maxChunkLineLength
    }
}
