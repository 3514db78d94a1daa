/// The trace flags of W3C Trace Context level 1: an 8-bit field of which only `sampled` is
/// defined. Other bits are not kept, since level 1 requires them to be sent as zero.
public struct TraceFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue & 0x01
    }

    /// The caller may have recorded the span: the trace is being sampled.
    public static let sampled = TraceFlags(rawValue: 0x01)
}
