/// Bounds on what a peer can make a WebSocket decoder buffer. Beyond either, the decoder fails
/// with close code 1009 as soon as the offending length has arrived, before buffering the data.
public struct WebSocketLimits: Sendable, Hashable {
    /// The largest frame payload accepted.
    public var maxFrameSize: Int
    /// The largest message accepted: the sum of its frames' payloads.
    public var maxMessageSize: Int

    /// Defaults of 1 MiB for both: far above what a browser dashboard sends, small enough that a
    /// thousand connections each at the limit stay within a gigabyte.
    public init(maxFrameSize: Int = 1 << 20, maxMessageSize: Int = 1 << 20) {
        self.maxFrameSize = maxFrameSize
        self.maxMessageSize = maxMessageSize
    }
}
