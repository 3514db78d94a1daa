import Bytes

/// One decoder under fuzzing: how to generate inputs for it and how to decode them.
public protocol FuzzTarget: Sendable {
    /// The normalised value `decode` reports, compared between feedings.
    associatedtype Value: Equatable

    /// The name used on the command line and in reports.
    var name: String { get }
    /// Hand-picked inputs mutations start from (the conformance vectors).
    var seeds: [[UInt8]] { get }
    /// Whether the format is text with decimal numbers (RESP, HTTP) rather than binary (AMQP).
    var isTextual: Bool { get }

    /// A valid input of at most about `maxBytes` bytes, which the decoder must accept.
    func generate(using rng: inout SplitMix64, maxBytes: Int) -> [UInt8]

    /// An input that exceeds one of the decoder's limits, and the error case it must end in.
    func probe(using rng: inout SplitMix64) -> (input: [UInt8], expectedError: String)

    /// Decodes `chunks` fed one after another to a fresh decoder, pulling values after each.
    /// With `asBuffers`, chunks go through the decoder's `ByteBuffer` feed (which adopts the
    /// buffer when nothing is pending), as slices whose reader index is not zero.
    func decode(_ chunks: [ArraySlice<UInt8>], asBuffers: Bool) -> DecodeOutcome<Value>
}

extension ArraySlice<UInt8> {
    /// These bytes as a `ByteBuffer` that does not start at index 0, as a slice of a larger
    /// received buffer would; offsets computed from buffer indices then show their mistakes.
    var offsetBuffer: ByteBuffer {
        var buffer = ByteBuffer(capacity: count + 3)
        buffer.writeBytes([0xEE, 0xEE, 0xEE])
        buffer.writeBytes(self)
        buffer.moveReaderIndex(forwardBy: 3)
        return buffer
    }
}
