import Bytes

/// One AMQP frame: `type(1) channel(2) size(4) payload(size) 0xCE`.
public enum AMQPFrame: Sendable, Hashable {
    /// A method and its arguments.
    case method(channel: UInt16, AMQPMethod)
    /// The content header that follows a content-carrying method (publish, deliver, get-ok, return).
    case header(channel: UInt16, ContentHeader)
    /// A piece of content body; a slice of the decoder's buffer, not a copy.
    case body(channel: UInt16, ByteBuffer)
    /// A heartbeat (always channel 0).
    case heartbeat

    /// The channel the frame belongs to; 0 is the connection itself.
    public var channel: UInt16 {
        switch self {
        case .method(let channel, _), .header(let channel, _), .body(let channel, _): channel
        case .heartbeat: 0
        }
    }
}

/// A content header frame's payload: the content's class, total body size and properties.
///
/// The header's `weight` field is always 0 in 0-9-1 and is not represented.
public struct ContentHeader: Sendable, Hashable {
    /// Total bytes of body that follow in body frames.
    public var bodySize: UInt64
    /// The message's properties (content type, headers, delivery mode, …).
    public var properties: BasicProperties

    /// A header announcing `bodySize` bytes of body with `properties`.
    public init(bodySize: UInt64, properties: BasicProperties = BasicProperties()) {
        self.bodySize = bodySize
        self.properties = properties
    }

    /// The content class; only `basic` has content.
    public var classID: UInt16 { BasicProperties.classID }
}

extension ContentHeader {
    /// What precedes the property values: class, weight, body size and the flag word(s).
    package struct Prefix {
        package let bodySize: UInt64
        /// The first flag word; continuation words carry no properties for `basic`.
        package let flags: UInt16

        /// Decodes the prefix; offsets in errors are relative to the payload start.
        package init(decoding buffer: inout ByteBuffer) throws(AMQPError) {
            let classStart = buffer.readerIndex
            let classID = try buffer.readShort("class-id")
            guard classID == BasicProperties.classID else { throw AMQPError(.unknownContentClass(classID), at: classStart) }
            let weightStart = buffer.readerIndex
            let weight = try buffer.readShort("weight")
            guard weight == 0 else { throw AMQPError(.nonZeroWeight(weight), at: weightStart) }
            bodySize = try buffer.readLongLong("body-size")
            let flagsStart = buffer.readerIndex
            flags = try buffer.readShort("property-flags")
            guard flags & ~(BasicProperties.knownFlags | 1) == 0 else { throw AMQPError(.unknownPropertyFlags(flags), at: flagsStart) }
            // Bit 0 continues the flags into another word; basic's 14 properties fit in the first,
            // so continuation words may only be zero apart from their own continuation bit.
            var more = flags & 1 != 0
            while more {
                let start = buffer.readerIndex
                let word = try buffer.readShort("property-flags continuation")
                guard word & ~1 == 0 else { throw AMQPError(.unknownPropertyFlags(word), at: start) }
                more = word & 1 != 0
            }
        }
    }

    /// Decodes a header payload; offsets in errors are relative to the payload start.
    init(decoding buffer: inout ByteBuffer) throws(AMQPError) {
        let prefix = try Prefix(decoding: &buffer)
        bodySize = prefix.bodySize
        properties = try BasicProperties(flags: prefix.flags, decoding: &buffer)
    }

    func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
        buffer.writeInteger(classID)
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(bodySize)
        buffer.writeInteger(properties.flags)
        try properties.encodeValues(into: &buffer)
    }
}
